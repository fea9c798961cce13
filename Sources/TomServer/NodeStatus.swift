/// What `GET /status` reports.
public struct NodeStatus: Codable, Sendable, Equatable {
    public var mode: String
    public var publicKey: String
    public var version: String
    public var uptimeSeconds: Int
    public var connections: Int
    public var participants: Int
    /// Gateways this peer is linked to; absent for a seed.
    public var gatewayLinks: Int?

    public init(mode: String, publicKey: String, version: String, uptimeSeconds: Int, connections: Int, participants: Int, gatewayLinks: Int? = nil) {
        self.mode = mode
        self.publicKey = publicKey
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.connections = connections
        self.participants = participants
        self.gatewayLinks = gatewayLinks
    }
}

public enum TomVersion {
    public static let current = "0.1.0"
}
