import Bencode

/// A Mainline DHT node (BEP 5, 32, 42, 43, 44) as a sans-IO state machine.
///
/// The node owns no socket, no clock and no global randomness. A driver (the NIO UDP
/// runner, the virtual network, a test) feeds it datagrams with `handle(datagram:from:now:)`,
/// calls `tick(now:)` when `nextDeadline` arrives, sends what `pollOutgoing()` returns and
/// reads `pollEvents()`. Client operations (`findNode`, `getPeers`, `announce`, `get`,
/// `put...`) return an `OperationID` whose completion arrives later as an event.
/// Everything random comes from one seed, so a run with the same inputs replays exactly.
public struct DHTNode: Sendable {
    public let config: DHTConfig
    /// Changes only to take a BEP 42 id for our external address (`DHTEvent.nodeIDChanged`).
    public internal(set) var nodeID: NodeID
    public internal(set) var routingTable: RoutingTable
    public internal(set) var peerStore: PeerStore
    public internal(set) var itemStore: ItemStore
    public internal(set) var signedPeerStore: SignedPeerStore
    /// Unix time, which signed-peer timestamps are made and checked with; see `setUnixTime`.
    public internal(set) var unixClock = UnixClock()
    public internal(set) var statistics = DHTStatistics()
    /// Per-IP rate limits and bans on unsolicited datagrams (`DHTNode+RateLimit`).
    public internal(set) var rateLimiter: QueryRateLimiter

    var random: DHTRandom
    var tokens: TokenIssuer
    var outgoing: [OutgoingDatagram] = []
    var events: [DHTEvent] = []
    var pendingQueries: [UInt32: PendingQuery] = [:]
    var operations: [OperationID: Operation] = [:]
    var lastOperationNumber: UInt64 = 0
    var nextMaintenance: DHTTime
    var verificationPingsInFlight = 0
    var refreshesRunning = 0
    var externalAddressVote = ExternalAddressVote()

    /// A node with a random id drawn from `seed`.
    public init(config: DHTConfig = DHTConfig(), nodeID: NodeID? = nil, seed: UInt64, now: DHTTime) {
        var random = DHTRandom(seed: seed)
        self.config = config
        self.nodeID = nodeID ?? NodeID.random(using: &random)
        self.routingTable = RoutingTable(ownID: self.nodeID, settings: config.routing, now: now)
        self.peerStore = PeerStore(settings: config.peerStoreSettings)
        self.itemStore = ItemStore(settings: config.itemStoreSettings)
        self.signedPeerStore = SignedPeerStore(settings: config.signedPeerStoreSettings)
        self.rateLimiter = QueryRateLimiter(settings: config.rateLimiterSettings)
        self.tokens = TokenIssuer(rotationInterval: config.tokenRotationInterval, now: now, using: &random)
        self.random = random
        self.nextMaintenance = now + config.maintenanceInterval
    }

    /// A node whose own generator is seeded from `generator`.
    public init(config: DHTConfig = DHTConfig(), nodeID: NodeID? = nil, random generator: inout some RandomNumberGenerator, now: DHTTime) {
        self.init(config: config, nodeID: nodeID, seed: generator.next(), now: now)
    }

    // MARK: - Driving the node

    /// Processes one received datagram. Never traps, whatever the bytes.
    public mutating func handle(datagram: [UInt8], from source: DHTAddress, now: DHTTime) {
        advance(now)
        statistics.datagramsReceived += 1
        guard !isIgnoring(source, now: now) else { return }
        let message: KRPCMessage
        do {
            message = try KRPCMessage.decode(datagram, limits: config.messageLimits)
        } catch {
            statistics.malformedDatagrams += 1
            guard admitsUnsolicited(from: source, now: now) else { return }
            // A malformed query whose transaction id we could read gets error 203; anything
            // else malformed is dropped silently, as replying to garbage helps nobody.
            if error.isQuery, let transactionID = error.transactionID, !config.isReadOnly {
                sendError(.protocolError, "malformed query: \(error.reason)", transactionID: transactionID, to: source)
            }
            return
        }
        switch message.kind {
        case .query(let query):
            guard admitsUnsolicited(from: source, now: now) else { return }
            handleQuery(query, message: message, from: source, now: now)
        case .response(let response):
            guard isSolicited(message, from: source) || admitsUnsolicited(from: source, now: now) else { return }
            handleReply(.response(response), message: message, from: source, now: now)
        case .error(let reply):
            guard isSolicited(message, from: source) || admitsUnsolicited(from: source, now: now) else { return }
            handleReply(.error(reply), message: message, from: source, now: now)
        }
    }

    /// Runs timeouts and periodic maintenance that are due. Call at `nextDeadline`.
    public mutating func tick(now: DHTTime) {
        advance(now)
        expireQueries(now: now)
        if now >= nextMaintenance {
            nextMaintenance = now + config.maintenanceInterval
            performMaintenance(now: now)
        }
    }

    /// When `tick` next has work: the earliest query timeout or maintenance time.
    public var nextDeadline: DHTTime? {
        var earliest = nextMaintenance
        for query in pendingQueries.values where query.deadline < earliest {
            earliest = query.deadline
        }
        return earliest
    }

    /// Datagrams to send, oldest first; the queue is emptied.
    public mutating func pollOutgoing() -> [OutgoingDatagram] {
        // Hands the buffer over: copying it out and then clearing ours would allocate on every poll.
        guard !outgoing.isEmpty else { return [] }
        var drained: [OutgoingDatagram] = []
        swap(&drained, &outgoing)
        return drained
    }

    /// Hands each datagram to send to `body`, oldest first, and empties the queue, keeping
    /// its storage: a driver that sends one answer per query allocates no queue per query.
    public mutating func drainOutgoing(_ body: (OutgoingDatagram) throws -> Void) rethrows {
        guard !outgoing.isEmpty else { return }
        defer { outgoing.removeAll(keepingCapacity: true) }
        for datagram in outgoing { try body(datagram) }
    }

    /// Events since the last poll, oldest first; the queue is emptied.
    public mutating func pollEvents() -> [DHTEvent] {
        guard !events.isEmpty else { return [] }
        var drained: [DHTEvent] = []
        swap(&drained, &events)
        return drained
    }

    /// Queries of ours still waiting for an answer.
    public var queriesInFlight: Int { pendingQueries.count }

    /// Client operations not yet completed (bucket refreshes included).
    public var operationsInProgress: Int { operations.count }

    // MARK: - Shared internals

    private mutating func advance(_ now: DHTTime) {
        tokens.rotateIfDue(now: now, using: &random)
    }

    /// Sends a query and remembers it until its answer or timeout.
    mutating func sendQuery(
        _ method: KRPCQuery.Method,
        to destination: DHTAddress,
        expectedID: NodeID?,
        purpose: QueryPurpose,
        now: DHTTime
    ) {
        var transaction = UInt32.random(in: 0...UInt32.max, using: &random)
        // Unique among queries in flight, so every answer maps to exactly one query.
        while pendingQueries[transaction] != nil { transaction &+= 1 }
        let message = KRPCMessage(
            transactionID: Self.transactionBytes(transaction),
            kind: .query(KRPCQuery(senderID: nodeID, method: method)),
            clientVersion: config.clientVersion,
            isReadOnly: config.isReadOnly
        )
        pendingQueries[transaction] = PendingQuery(
            destination: destination,
            expectedID: expectedID,
            deadline: now + config.queryTimeout,
            purpose: purpose
        )
        if case .verification = purpose { verificationPingsInFlight += 1 }
        statistics.queriesSent += 1
        outgoing.append(OutgoingDatagram(bytes: message.encoded(), destination: destination))
    }

    mutating func sendResponse(_ response: KRPCResponse, transactionID: [UInt8], to destination: DHTAddress) {
        let message = KRPCMessage(
            transactionID: transactionID,
            kind: .response(response),
            clientVersion: config.clientVersion,
            // BEP 42: tell the requester the address we see, so it can learn its external IP.
            requesterAddress: destination
        )
        outgoing.append(OutgoingDatagram(bytes: message.encoded(), destination: destination))
    }

    mutating func sendError(_ code: KRPCErrorCode, _ text: String, transactionID: [UInt8], to destination: DHTAddress) {
        let message = KRPCMessage(
            transactionID: transactionID,
            kind: .error(KRPCErrorReply(code: code, message: text)),
            clientVersion: config.clientVersion,
            requesterAddress: destination
        )
        statistics.errorsSent += 1
        outgoing.append(OutgoingDatagram(bytes: message.encoded(), destination: destination))
    }

    /// Our transaction ids are 4 bytes, big-endian: unpredictable (drawn from the seeded
    /// generator), which makes off-path answer spoofing a 2^-32 guess.
    static func transactionBytes(_ transaction: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: transaction >> 24), UInt8(truncatingIfNeeded: transaction >> 16),
         UInt8(truncatingIfNeeded: transaction >> 8), UInt8(truncatingIfNeeded: transaction)]
    }

    /// Our id for a transaction we could have issued; nil for any other length.
    static func transactionNumber(_ bytes: [UInt8]) -> UInt32? {
        guard bytes.count == 4 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func newOperationID() -> OperationID {
        lastOperationNumber += 1
        return OperationID(rawValue: lastOperationNumber)
    }

    mutating func complete(_ id: OperationID, _ outcome: OperationOutcome) {
        guard let operation = operations.removeValue(forKey: id) else { return }
        if case .refresh = operation.kind {
            refreshesRunning -= 1
            return
        }
        events.append(.operationCompleted(id, outcome))
    }
}

/// Counters for status pages and tests.
public struct DHTStatistics: Hashable, Sendable {
    public var datagramsReceived = 0
    public var malformedDatagrams = 0
    public var queriesReceived = 0
    public var queriesSent = 0
    public var errorsSent = 0
    public var repliesAccepted = 0
    /// Answers with an unknown transaction id or from an address we did not query.
    public var repliesIgnored = 0
    public var timeouts = 0
    /// Datagrams dropped by the per-IP rate limit: over the limit, or from a banned IP.
    public var datagramsRateLimited = 0
    /// Bans started by the per-IP rate limit.
    public var addressesBanned = 0
    /// Announces and puts refused because their IP reached its storage quota.
    public var storesRefusedByAddressQuota = 0
}

/// One query of ours in flight.
struct PendingQuery: Sendable {
    var destination: DHTAddress
    /// The id we believe the destination has; nil for bootstrap contacts and client pings.
    var expectedID: NodeID?
    var deadline: DHTTime
    var purpose: QueryPurpose
}

enum QueryPurpose: Sendable {
    case clientPing(OperationID)
    /// A ping that confirms a node for the routing table; `attempt` counts from 1.
    case verification(attempt: Int)
    case bootstrapContact(OperationID)
    case lookup(OperationID, NodeInfo)
    case store(OperationID)
}
