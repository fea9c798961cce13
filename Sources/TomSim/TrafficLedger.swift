import TomDHT

/// A client operation on one node: the node's index and the id its DHTNode gave the operation.
struct OperationKey: Hashable, Sendable {
    var node: Int
    var operation: OperationID
}

/// What one operation cost on the wire, from its origin's point of view.
struct OperationCost: Hashable, Sendable {
    /// Queries the origin sent for it (lookup queries, retries, then stores).
    var queriesSent = 0
    /// Answers (responses and errors) the origin received for it.
    var answersReceived = 0
    var bytesSent = 0
    var bytesReceived = 0

    var messages: Int { queriesSent + answersReceived }
    var bytes: Int { bytesSent + bytesReceived }
}

/// Charges the traffic of watched nodes to the operations running on them.
///
/// A query belongs to an operation when it leaves the operation's origin and names the
/// operation's target (find_node, get_peers, announce_peer, get and put all do); an answer
/// belongs to it when it echoes such a query's transaction id. Pings, answers the origin
/// gives to other nodes and the queries of other operations are not charged.
struct TrafficLedger {
    private var active: [Int: [(key: OperationKey, target: NodeID)]] = [:]
    private var transactions: [Int: [[UInt8]: OperationKey]] = [:]
    private var costs: [OperationKey: OperationCost] = [:]

    mutating func begin(_ key: OperationKey, target: NodeID) {
        active[key.node, default: []].append((key, target))
        costs[key] = OperationCost()
    }

    /// Stops charging the operation and returns what it cost.
    mutating func end(_ key: OperationKey) -> OperationCost {
        active[key.node]?.removeAll { $0.key == key }
        if active[key.node]?.isEmpty == true { active[key.node] = nil }
        transactions[key.node] = transactions[key.node]?.filter { $0.value != key }
        if transactions[key.node]?.isEmpty == true { transactions[key.node] = nil }
        return costs.removeValue(forKey: key) ?? OperationCost()
    }

    mutating func record(_ traffic: [WatchedDatagram]) {
        for datagram in traffic {
            guard let operations = active[datagram.node],
                  let message = try? KRPCMessage.decode(datagram.bytes) else { continue }
            switch (datagram.direction, message.kind) {
            case (.sent, .query(let query)):
                guard let target = Self.target(of: query.method),
                      let owner = operations.first(where: { $0.target == target })?.key else { continue }
                transactions[datagram.node, default: [:]][message.transactionID] = owner
                costs[owner]?.queriesSent += 1
                costs[owner]?.bytesSent += datagram.bytes.count
            case (.received, .response), (.received, .error):
                guard let owner = transactions[datagram.node]?[message.transactionID] else { continue }
                costs[owner]?.answersReceived += 1
                costs[owner]?.bytesReceived += datagram.bytes.count
            default:
                continue
            }
        }
    }

    static func target(of method: KRPCQuery.Method) -> NodeID? {
        switch method {
        case .findNode(let arguments): arguments.target
        case .getPeers(let arguments): arguments.infoHash
        case .announcePeer(let arguments): arguments.infoHash
        case .get(let arguments): arguments.target
        case .put(let arguments): arguments.target
        case .getSignedPeers(let arguments): arguments.infoHash
        case .announceSignedPeer(let arguments): arguments.infoHash
        default: nil  // ping, and methods that name no target of ours
        }
    }
}

extension TrafficLedger {
    /// Moves an operation's charges (and its transactions) to another key.
    mutating func rename(_ old: OperationKey, to new: OperationKey) {
        guard let cost = costs.removeValue(forKey: old) else { return }
        costs[new] = cost
        if let list = active[old.node] {
            active[old.node] = list.map { $0.key == old ? (new, $0.target) : $0 }
        }
        if let map = transactions[old.node] {
            transactions[old.node] = map.mapValues { $0 == old ? new : $0 }
        }
    }
}
