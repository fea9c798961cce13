/// Timings of a gateway's DHT work, with their defaults in one place.
public struct GatewaySettings: Sendable {
    /// How often members are looked up and held rosters checked against the DHT, start to
    /// start. It bounds how long a lost push stays lost: one interval plus one cycle.
    public var refreshInterval: Duration = .seconds(15)
    /// Members a refresh checks at once (each with up to 4 gets in flight), and puts a
    /// publication keeps in flight.
    public var maxConcurrentDHTOperations = 16
    /// How often the gateway re-announces itself under the topic (peers expire after 30 min).
    public var announceInterval: Duration = .seconds(5 * 60)
    /// How often our roster pages are put again although unchanged (items expire after 2 h).
    public var republishInterval: Duration = .seconds(30 * 60)
    /// Changes within this window go to the DHT as one put per page.
    public var publishDelay: Duration = .milliseconds(500)
    /// Dials in progress at once: a DHT answer full of bogus addresses costs at most this many
    /// connection attempts per refresh.
    public var maxConcurrentDials = 32
    /// A dial that has not completed its handshake by then is abandoned.
    public var dialTimeout: Duration = .seconds(5)
    /// Gateways to link to without waiting for the DHT (`--gateway host:port`).
    public var staticGateways: [String] = []

    public init() {}
}
