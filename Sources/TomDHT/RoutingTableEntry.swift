/// How much a routing table trusts a node (BEP 5).
public enum NodeStatus: Hashable, Sendable {
    /// Answered one of our queries recently, or queried us recently after having answered before.
    case good
    /// Not heard from within the good-node window, or never answered a query.
    case questionable
    /// Failed to answer several queries in a row.
    case bad
}

/// A node in the routing table with the history that decides its status.
public struct RoutingTableEntry: Hashable, Sendable {
    public internal(set) var node: NodeInfo
    public internal(set) var firstSeen: DHTTime
    /// When it last answered one of our queries; nil if it never has.
    public internal(set) var lastResponse: DHTTime?
    /// When it last sent us a query.
    public internal(set) var lastQuery: DHTTime?
    /// Unanswered queries since its last response.
    public internal(set) var consecutiveFailures: Int

    init(node: NodeInfo, firstSeen: DHTTime) {
        self.node = node
        self.firstSeen = firstSeen
        self.consecutiveFailures = 0
    }

    public var id: NodeID { node.id }
    public var address: DHTAddress { node.address }

    /// Whether it has ever answered us, i.e. is known to be reachable.
    public var isConfirmed: Bool { lastResponse != nil }

    /// The latest sign of life, used to find the least recently seen node.
    public var lastSeen: DHTTime {
        max(firstSeen, lastResponse ?? .zero, lastQuery ?? .zero)
    }

    public func status(at now: DHTTime, settings: RoutingTableSettings) -> NodeStatus {
        if consecutiveFailures >= settings.maxConsecutiveFailures { return .bad }
        guard let lastResponse else { return .questionable }
        if now.elapsed(since: lastResponse) < settings.goodNodeWindow { return .good }
        if let lastQuery, now.elapsed(since: lastQuery) < settings.goodNodeWindow { return .good }
        return .questionable
    }

    /// Whether failures alone make it bad; unlike `status`, this needs no clock.
    func isBad(settings: RoutingTableSettings) -> Bool {
        consecutiveFailures >= settings.maxConsecutiveFailures
    }

    /// Folds in what another sighting of the same node taught us.
    mutating func absorb(_ sighting: RoutingTableEntry) {
        if let response = sighting.lastResponse {
            lastResponse = max(lastResponse ?? response, response)
            consecutiveFailures = 0
        }
        if let query = sighting.lastQuery {
            lastQuery = max(lastQuery ?? query, query)
        }
    }
}
