/// The seam between the legacy WebSocket front end and whatever knows who is connected.
///
/// A seed uses the in-memory `LocalHub`; a peer uses a DHT-backed hub. The front end never
/// knows which one it has, so a seed can swap its hub under live connections.
public protocol SignalingHub: Sendable {
    /// Handles a decoded request from `session`. The front end answers `.rejected` requests
    /// itself; a hub ignores them.
    func receive(_ request: LegacyRequest, from session: ClientSession) async
    /// The session's socket closed.
    func disconnected(_ session: ClientSession) async
    /// Counts for /status and /metrics.
    func snapshot() async -> HubSnapshot
}

public struct HubSnapshot: Sendable, Equatable {
    public var registeredParticipants: Int
    /// Linked gateways; nil for a hub that has none (a seed).
    public var gatewayLinks: Int?

    public init(registeredParticipants: Int, gatewayLinks: Int? = nil) {
        self.registeredParticipants = registeredParticipants
        self.gatewayLinks = gatewayLinks
    }
}
