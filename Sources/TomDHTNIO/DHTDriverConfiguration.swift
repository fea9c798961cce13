import Logging
import NIOCore
import TomDHT
import TomStore

/// Everything a `DHTDriver` needs besides an event loop and a logger.
public struct DHTDriverConfiguration: Sendable {
    /// The address to bind the UDP socket to. IPv4 only for now ("0.0.0.0", "127.0.0.1", ...).
    public var host: String = "0.0.0.0"
    /// The UDP port; 0 picks an ephemeral one (see `DHTDriver.localAddress`).
    public var port: Int = 6881
    /// The DHT core's settings.
    public var dht = DHTConfig()
    /// Where the routing table is saved (`dht-routing-table`) and reloaded from; nil keeps
    /// nothing on disk (the one-shot CLI verbs).
    public var dataDirectory: DataDirectory?
    /// How often the routing table is saved while running; it is also saved on shutdown.
    public var saveInterval: TimeAmount = .minutes(5)
    /// Our node id. Nil reuses the id of the saved routing table, else draws a random one.
    public var nodeID: NodeID?
    /// Seed of the core's random generator; nil draws one from the system generator.
    public var seed: UInt64?
    /// Datagrams longer than this are dropped unread. Mainline messages stay well under
    /// 1500 bytes; 2048 leaves room for unusual but legitimate clients.
    public var maxDatagramBytes = 2048
    /// First pause between bootstrap attempts that reached nobody; doubled up to `maxBootstrapRetryDelay`.
    public var bootstrapRetryDelay: TimeAmount = .seconds(5)
    public var maxBootstrapRetryDelay: TimeAmount = .minutes(5)
    /// When our own items and announces kept with `keepPublished` are stored again.
    public var republishing = RepublishSchedule.Settings()

    /// Level of the start, join and stop lines (one-shot CLI verbs lower it to debug).
    public var lifecycleLogLevel: Logger.Level = .info

    public init() {}

    /// The file name of the saved routing table inside the data directory.
    public static let routingTableFileName = "dht-routing-table"
}
