import ArgumentParser
import TomServer
import TomSignaling

/// The legacy front end's limits, one flag each; defaults come from `ServerSettings`.
struct LegacyLimitOptions: ParsableArguments {
    private static let defaults = ServerSettings()

    @Option(help: "Largest WebSocket message accepted, in bytes; larger closes the connection with 1009.")
    var maxMessageBytes: Int = defaults.maxMessageBytes

    @Option(help: "Outgoing bytes queued for one client before it is closed with 1008 (slow reader).")
    var outboxLimitBytes: Int = defaults.outboxLimitBytes

    @Option(help: "Seconds between server pings; a client that has not answered the previous ping is closed.")
    var pingInterval: Int = Int(defaults.pingInterval.components.seconds)

    @Option(help: "Maximum open connections; more are answered 503.")
    var maxConnections: Int = defaults.maxConnections

    @Option(help: "Maximum open connections from one IP address; more are answered 503.")
    var maxConnectionsPerIp: Int = defaults.maxConnectionsPerIP

    @Flag(help: "Apply --max-connections-per-ip to loopback clients too (exempt by default).")
    var limitLoopback = false

    @Option(help: "Milliseconds over which participants broadcasts are merged; 0 sends one per change, like the legacy server.")
    var coalesceParticipants: Int = 0

    @Option(help: "Seconds a new connection has to send a complete request head; one answered nothing by then is closed.")
    var requestTimeout: Int = Int(defaults.requestHeadTimeout.components.seconds)

    @Option(help: "Messages per second one connection may send, sustained; over it (or --message-burst at once) it is closed with 1008. 0 = no limit.")
    var messageRate: Int = Int(defaults.messageRate.perSecond)

    @Option(help: "Messages one connection may send at once.")
    var messageBurst: Int = defaults.messageRate.burst

    @Option(help: "Message bytes per second one connection may send, sustained; over it (or --byte-burst at once) it is closed with 1008. 0 = no limit.")
    var byteRate: Int = Int(defaults.byteRate.perSecond)

    @Option(help: "Message bytes one connection may send at once.")
    var byteBurst: Int = defaults.byteRate.burst

    @Option(help: "Registers per minute one connection may send, sustained; over it (or --register-burst at once) it is closed with 1008. 0 = no limit.")
    var registerRate: Int = Int(defaults.registerRate.perSecond * 60)

    @Option(help: "Registers one connection may send at once.")
    var registerBurst: Int = defaults.registerRate.burst

    @Option(help: "Bytes of participants lists (size x recipients) broadcast per second, 2 s of it at once; past it, a registrant still gets its list and everyone else one list for all changes when there is room. 0 = a list to everyone per change, always (legacy).")
    var participantsBudget: Int = Int(defaults.participantsBudget.perSecond)

    @Flag(help: "Refuse registers without an Ed25519 proof of the nodeId: every client is sent a challenge on connect (Docs/legacy-protocol.md, 'Authenticated register'). Off, only clients that ask are challenged.")
    var requireAuth = false

    @Option(help: "PEM certificate chain: the port then serves wss:// and https:// only (a build with --traits TLS).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    var settings: ServerSettings {
        var settings = ServerSettings()
        settings.maxMessageBytes = maxMessageBytes
        settings.outboxLimitBytes = outboxLimitBytes
        settings.pingInterval = .seconds(pingInterval)
        settings.maxConnections = maxConnections
        settings.maxConnectionsPerIP = maxConnectionsPerIp
        settings.limitLoopback = limitLoopback
        settings.requireAuth = requireAuth
        settings.tls = tlsCert.map { TLSFiles(certificateChainPath: $0, privateKeyPath: tlsKey ?? "") }
        settings.coalesceParticipants = .milliseconds(coalesceParticipants)
        settings.requestHeadTimeout = .seconds(requestTimeout)
        settings.messageRate = RateLimit(perSecond: Double(messageRate), burst: messageBurst)
        settings.registerRate = RateLimit(perSecond: Double(registerRate) / 60, burst: registerBurst)
        settings.byteRate = RateLimit(perSecond: Double(byteRate), burst: byteBurst)
        settings.participantsBudget = RateLimit(perSecond: Double(participantsBudget), burst: participantsBudget * 2)
        return settings
    }

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard tlsCert == nil || ServerTLS.isAvailable else {
            throw ValidationError("--tls-cert: this tom-node was built without TLS (swift build --traits TLS)")
        }
        guard (1024...(64 << 20)).contains(maxMessageBytes) else {
            throw ValidationError("--max-message-bytes must be 1024...67108864, got \(maxMessageBytes)")
        }
        guard outboxLimitBytes >= maxMessageBytes else {
            throw ValidationError("--outbox-limit-bytes must be at least --max-message-bytes")
        }
        guard (1...3600).contains(pingInterval) else {
            throw ValidationError("--ping-interval must be 1...3600 seconds, got \(pingInterval)")
        }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxConnectionsPerIp >= 1 else { throw ValidationError("--max-connections-per-ip must be at least 1") }
        guard (0...60_000).contains(coalesceParticipants) else {
            throw ValidationError("--coalesce-participants must be 0...60000 ms, got \(coalesceParticipants)")
        }
        guard (1...3600).contains(requestTimeout) else {
            throw ValidationError("--request-timeout must be 1...3600 seconds, got \(requestTimeout)")
        }
        for (name, rate) in [("--message-rate", messageRate), ("--register-rate", registerRate)] where !(0...1_000_000).contains(rate) {
            throw ValidationError("\(name) must be 0...1000000, got \(rate)")
        }
        guard (0...(1 << 40)).contains(byteRate), (1...(1 << 40)).contains(byteBurst) else {
            throw ValidationError("--byte-rate must be 0...\(1 << 40) and --byte-burst 1...\(1 << 40) bytes, got \(byteRate) and \(byteBurst)")
        }
        guard (0...(1 << 40)).contains(participantsBudget) else {
            throw ValidationError("--participants-budget must be 0...\(1 << 40) bytes per second, got \(participantsBudget)")
        }
        for (name, burst) in [("--message-burst", messageBurst), ("--register-burst", registerBurst)] where !(1...1_000_000).contains(burst) {
            throw ValidationError("\(name) must be 1...1000000, got \(burst)")
        }
    }
}
