import ArgumentParser
import Logging
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

    func validate() throws {
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
