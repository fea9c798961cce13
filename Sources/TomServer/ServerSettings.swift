import TomSignaling

/// Every limit and timing of the legacy front end, with its default in one place.
/// `tom-node --help` and Docs/operations.md show the same defaults.
public struct ServerSettings: Sendable, Equatable {
    public var host = "0.0.0.0"
    public var port = 3001
    /// Largest WebSocket message accepted; larger closes the connection with 1009.
    public var maxMessageBytes = 1 << 20
    /// Outgoing bytes queued for one client before it is closed with 1008.
    public var outboxLimitBytes = 8 << 20
    /// Server pings this often; a client that has not answered the previous ping is closed.
    public var pingInterval: Duration = .seconds(60)
    /// How long a closing handshake (or a backpressure close) may take before the TCP
    /// connection is cut.
    public var closeTimeout: Duration = .seconds(3)
    /// A connection that has not completed a request head by then (nothing answered yet:
    /// silent, half a head, garbage) is closed, so it cannot hold a slot for ever.
    public var requestHeadTimeout: Duration = .seconds(10)
    public var maxConnections = 20_000
    public var maxConnectionsPerIP = 256
    /// Loopback clients are exempt from the per-IP cap unless this is set.
    public var limitLoopback = false
    /// Zero sends one participants list per change (the legacy behaviour).
    public var coalesceParticipants: Duration = .zero
    /// Messages one connection may send (any type); over it, it is closed with 1008.
    /// Sustained 100/s, 500 at once: a legacy client sends a heartbeat every 5 s and a few
    /// dozen signals per WebRTC session.
    public var messageRate = RateLimit(perSecond: 100, burst: 500)
    /// Message bytes one connection may send; over it, it is closed with 1008. 1 MiB/s
    /// sustained and 8 MiB at once: a WebRTC offer is a few KB, so only a client that floods
    /// others' queues with large signals gets there.
    public var byteRate = RateLimit(perSecond: 1_048_576, burst: 8 << 20)
    /// Registers one connection may send; over it, it is closed with 1008. A client registers
    /// once per connection; each register costs a presence and a participants list to everyone.
    public var registerRate = RateLimit(perSecond: 0.5, burst: 10)
    /// Seed: participants-list bytes (size times recipients) per second before further
    /// changes share one list (`LocalHub`); unlimited is the legacy behaviour. Ignored with
    /// `coalesceParticipants`.
    public var participantsBudget = LocalHub.defaultParticipantsBudget
    public var listenBacklog = 1024
    /// False (`--no-legacy`) refuses legacy WebSocket upgrades; routed paths still upgrade.
    public var servesLegacyClients = true
    /// `--require-auth`: every register must carry an Ed25519 proof of its nodeId
    /// (`RegisterAuthenticator`); off, only clients that ask are challenged.
    public var requireAuth = false
    /// `--tls-cert` / `--tls-key`: the port speaks TLS only (`ServerTLS`; needs the `TLS` trait).
    public var tls: TLSFiles?

    public init() {}
}
