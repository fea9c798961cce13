/// What `GET /status` reports.
public struct NodeStatus: Codable, Sendable, Equatable {
    public var mode: String
    public var publicKey: String
    public var version: String
    public var uptimeSeconds: Int
    public var connections: Int
    public var participants: Int

    public init(mode: String, publicKey: String, version: String, uptimeSeconds: Int, connections: Int, participants: Int) {
        self.mode = mode
        self.publicKey = publicKey
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.connections = connections
        self.participants = participants
    }
}

public enum TomVersion {
    public static let current = "0.1.0"
}
