import ArgumentParser
import Logging
import TomDHT
import TomDHTNIO

/// The public Mainline routers; tests and scripts always pass loopback nodes instead.
let defaultBootstrapNodes = "router.bittorrent.com:6881,dht.transmissionbt.com:6881,dht.libtorrent.org:25401"

/// Flags of the `tom-node dht` verbs themselves. The flags they share with the root
/// command (--bootstrap, --dht-port, --host, --data-dir, --log-level, --log-format) belong to
/// the root, which ArgumentParser lets appear before or after the verb; `DHTVerbSettings`
/// combines both.
struct DHTClientOptions: ParsableArguments {
    @Option(help: "Seconds the whole verb (joining included) may take.")
    var timeout: Double = 30

    @Flag(help: "Print one JSON object on standard output instead of text.")
    var json = false

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be 0...86400 seconds, got \(timeout)") }
    }
}

/// Everything a verb needs, from its own flags and the root command's.
struct DHTVerbSettings: Sendable {
    var bootstrapHosts: [String]
    var port: Int
    var host: String
    var dataDirectory: String
    var logLevel: Logger.Level
    var logFormat: LogFormat
    var timeout: Double
    var json: Bool

    init(_ options: DHTClientOptions, root: TomNodeCommand) {
        bootstrapHosts = BootstrapResolver.list(root.dht.bootstrap)
        // Verbs are short-lived clients: an ephemeral port unless one is asked for.
        port = root.dht.dhtPort ?? 0
        host = root.node.host
        dataDirectory = root.node.resolvedDataDirectory
        logLevel = root.node.logLevel
        logFormat = root.node.logFormat
        timeout = options.timeout
        json = options.json
    }
}

/// Flags of `tom-node --mode peer`.
struct PeerDHTOptions: ParsableArguments {
    @Option(help: "UDP port of the DHT node (binds --host). (default: 6881 in --mode peer, 0 = ephemeral for the dht verbs)")
    var dhtPort: Int?

    @Option(help: "Comma-separated host:port DHT nodes to join through (--mode peer and the dht verbs).")
    var bootstrap: String = defaultBootstrapNodes

    @Option(help: "Seconds between saves of the routing table to <data-dir>/dht-routing-table (also saved on exit).")
    var saveInterval: Int = 300

    @Flag(help: "Keep DHT nodes whose id does not match their public IP (BEP 42) out of the routing table.")
    var enforceNodeID = false

    @Flag(help: "Run the DHT node read-only (BEP 43): ask, put and announce, but answer no queries and stay out of others' routing tables.")
    var readOnly = false

    private static let defaults = DHTConfig()

    @Option(help: "DHT queries per second one IP may send, sustained; over it, the IP is ignored for --dht-ban-seconds. 0 = no limit.")
    var dhtQueryRate: Int = defaults.queryRatePerAddress

    @Option(help: "DHT queries one IP may send at once after a quiet spell.")
    var dhtQueryBurst: Int = defaults.queryBurstPerAddress

    @Option(help: "Seconds an IP over the DHT query rate is ignored.")
    var dhtBanSeconds: Int = Int(defaults.rateLimitBanDuration.nanoseconds / 1_000_000_000)

    @Option(help: "IP addresses the DHT rate limiter tracks at once (least recently seen forgotten first).")
    var dhtRateLimitTable: Int = defaults.rateLimitTrackedAddresses

    @Flag(help: "Apply the per-IP DHT limits (query rate, storage per IP) to loopback addresses too.")
    var dhtLimitLoopback = false

    @Option(help: "Announced peers one IP may have stored on this node.")
    var dhtMaxPeersPerIp: Int = defaults.maxPeersPerAddress

    @Option(help: "BEP 44 items one IP may have stored on this node.")
    var dhtMaxItemsPerIp: Int = defaults.maxItemsPerAddress

    @Option(help: "Signed peers one IP may have stored on this node.")
    var dhtMaxSignedPeersPerIp: Int = defaults.maxSignedPeersPerAddress

    /// The DHT core settings these flags choose.
    func apply(to config: inout DHTConfig) {
        config.enforceNodeIDs = enforceNodeID
        config.isReadOnly = readOnly
        config.queryRatePerAddress = dhtQueryRate
        config.queryBurstPerAddress = dhtQueryBurst
        config.rateLimitBanDuration = .seconds(UInt64(dhtBanSeconds))
        config.rateLimitTrackedAddresses = dhtRateLimitTable
        config.limitsLoopback = dhtLimitLoopback
        config.maxPeersPerAddress = dhtMaxPeersPerIp
        config.maxItemsPerAddress = dhtMaxItemsPerIp
        config.maxSignedPeersPerAddress = dhtMaxSignedPeersPerIp
    }

    func validate() throws {
        guard (0...1_000_000).contains(dhtQueryRate) else {
            throw ValidationError("--dht-query-rate must be 0...1000000 per second, got \(dhtQueryRate)")
        }
        guard (1...1_000_000).contains(dhtQueryBurst) else {
            throw ValidationError("--dht-query-burst must be 1...1000000, got \(dhtQueryBurst)")
        }
        guard (0...86_400).contains(dhtBanSeconds) else {
            throw ValidationError("--dht-ban-seconds must be 0...86400, got \(dhtBanSeconds)")
        }
        guard (1...10_000_000).contains(dhtRateLimitTable) else {
            throw ValidationError("--dht-rate-limit-table must be 1...10000000, got \(dhtRateLimitTable)")
        }
        for (name, value) in [("--dht-max-peers-per-ip", dhtMaxPeersPerIp), ("--dht-max-items-per-ip", dhtMaxItemsPerIp),
                              ("--dht-max-signed-peers-per-ip", dhtMaxSignedPeersPerIp)] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        if let dhtPort, !(0...65535).contains(dhtPort) {
            throw ValidationError("--dht-port must be 0...65535, got \(dhtPort)")
        }
        guard (1...86_400).contains(saveInterval) else {
            throw ValidationError("--save-interval must be 1...86400 seconds, got \(saveInterval)")
        }
        guard !BootstrapResolver.list(bootstrap).isEmpty else { throw ValidationError("--bootstrap needs at least one host:port") }
        for host in BootstrapResolver.list(bootstrap) where BootstrapResolver.split(host) == nil {
            throw ValidationError("--bootstrap: '\(host)' is not host:port")
        }
    }
}
