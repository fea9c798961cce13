import Bencode

/// One client operation in progress.
struct Operation: Sendable {
    enum Kind: Sendable {
        case ping
        case bootstrap
        case findNode
        case getPeers
        case announce(port: UInt16, impliedPort: Bool)
        case get
        case putImmutable(ImmutableItem)
        case putMutable(MutableItem, compareAndSwap: Int64?)
        /// A bucket refresh: a find_node nobody waits for.
        case refresh
        /// Signed peers (draft BEP); the announce is signed when the lookup ends.
        case getSignedPeers
        case announceSignedPeer(ItemSigningKey)
    }

    var kind: Kind
    var lookup: Lookup?
    /// Bootstrap contacts or store queries still unanswered.
    var outstanding = 0
    var contactsAnswered = 0
    /// Nodes named by bootstrap contacts, the seeds of the self-lookup.
    var bootstrapSeeds: [NodeInfo] = []
    var store: StoreSummary?
}

/// Client operations and the handling of answers to our queries.
extension DHTNode {
    // MARK: - Public operations

    /// Contacts `nodes` (for example router.bittorrent.com:6881 resolved by the driver) with
    /// a find_node for our own id, then looks up our own id through the nodes they name.
    @discardableResult
    public mutating func bootstrap(from nodes: [DHTAddress], now: DHTTime) -> OperationID {
        let id = newOperationID()
        var operation = Operation(kind: .bootstrap)
        operation.outstanding = nodes.count
        operations[id] = operation
        for address in nodes {
            sendQuery(.findNode(FindNodeArguments(target: nodeID)), to: address, expectedID: nil,
                      purpose: .bootstrapContact(id), now: now)
        }
        if nodes.isEmpty { startBootstrapLookup(id, now: now) }
        return id
    }

    /// Pings one address; completes with the node that answered, or nil.
    @discardableResult
    public mutating func ping(_ address: DHTAddress, now: DHTTime) -> OperationID {
        let id = newOperationID()
        operations[id] = Operation(kind: .ping)
        sendQuery(.ping, to: address, expectedID: nil, purpose: .clientPing(id), now: now)
        return id
    }

    /// Finds the K nodes closest to `target`.
    @discardableResult
    public mutating func findNode(_ target: NodeID, now: DHTTime) -> OperationID {
        startLookup(kind: .findNode, target: target, lookupKind: .findNode, now: now)
    }

    /// Finds peers of `infoHash`.
    @discardableResult
    public mutating func getPeers(_ infoHash: NodeID, now: DHTTime) -> OperationID {
        startLookup(kind: .getPeers, target: infoHash, lookupKind: .getPeers, now: now)
    }

    /// Announces us as a peer of `infoHash` to the K closest nodes. With `impliedPort`, the
    /// receivers store the UDP source port of the announce instead of `port`.
    @discardableResult
    public mutating func announce(_ infoHash: NodeID, port: UInt16, impliedPort: Bool = false, now: DHTTime) -> OperationID {
        startLookup(kind: .announce(port: port, impliedPort: impliedPort), target: infoHash, lookupKind: .getPeers, now: now)
    }

    /// Looks up the BEP 44 item at `target`. For a mutable item with a salt, pass the salt:
    /// answers are verified against it.
    @discardableResult
    public mutating func get(_ target: NodeID, salt: [UInt8] = [], newerThan sequenceNumber: Int64? = nil, now: DHTTime) -> OperationID {
        startLookup(kind: .get, target: target, lookupKind: .getItem(salt: salt, newerThan: sequenceNumber), now: now)
    }

    /// Looks up the mutable item of `publicKey` and `salt`.
    @discardableResult
    public mutating func getMutable(publicKey: [UInt8], salt: [UInt8] = [], now: DHTTime) -> OperationID {
        get(ItemTarget.mutable(publicKey: publicKey, salt: salt), salt: salt, now: now)
    }

    /// Stores an immutable item on the K nodes closest to its hash.
    @discardableResult
    public mutating func putImmutable(_ value: CanonicalBencode, now: DHTTime) -> OperationID {
        let item = ImmutableItem(value: value)
        guard value.bytes.count <= MutableItemSigning.maxValueLength else {
            return rejectedOperation("value is \(value.bytes.count) bytes; BEP 44 allows 1000")
        }
        return startLookup(kind: .putImmutable(item), target: item.target, lookupKind: .getItem(salt: [], newerThan: nil), now: now)
    }

    /// Stores a signed mutable item on the K nodes closest to its target. With
    /// `compareAndSwap`, nodes only replace an item whose `seq` equals it (BEP 44 `cas`).
    @discardableResult
    public mutating func putMutable(_ item: MutableItem, compareAndSwap: Int64? = nil, now: DHTTime) -> OperationID {
        guard item.value.bytes.count <= MutableItemSigning.maxValueLength else {
            return rejectedOperation("value is \(item.value.bytes.count) bytes; BEP 44 allows 1000")
        }
        guard item.salt.count <= MutableItemSigning.maxSaltLength else {
            return rejectedOperation("salt is \(item.salt.count) bytes; BEP 44 allows 64")
        }
        guard item.hasValidSignature else { return rejectedOperation("the item's signature does not verify") }
        return startLookup(
            kind: .putMutable(item, compareAndSwap: compareAndSwap),
            target: item.target,
            lookupKind: .getItem(salt: item.salt, newerThan: nil),
            now: now
        )
    }

    /// Signs and stores `value` under `key` and `salt`.
    @discardableResult
    public mutating func putMutable(
        value: CanonicalBencode,
        salt: [UInt8] = [],
        sequenceNumber: Int64,
        key: ItemSigningKey,
        compareAndSwap: Int64? = nil,
        now: DHTTime
    ) -> OperationID {
        let item = MutableItem.signed(value: value, salt: salt, sequenceNumber: sequenceNumber, key: key)
        return putMutable(item, compareAndSwap: compareAndSwap, now: now)
    }

    // MARK: - Lookups

    mutating func startLookup(kind: Operation.Kind, target: NodeID, lookupKind: Lookup.Kind, now: DHTTime) -> OperationID {
        let id = newOperationID()
        // More seeds than K make the first round robust against a few dead entries.
        let seeds = routingTable.closest(to: target, count: config.lookupClosestCount * 4)
        startLookup(id, kind: kind, target: target, lookupKind: lookupKind, seeds: seeds, now: now)
        return id
    }

    mutating func startLookup(
        _ id: OperationID,
        kind: Operation.Kind,
        target: NodeID,
        lookupKind: Lookup.Kind,
        seeds: [NodeInfo],
        now: DHTTime
    ) {
        var lookup = Lookup(target: target, kind: lookupKind, settings: config.lookupSettings, ownID: nodeID, seeds: seeds)
        if case .putImmutable = kind { lookup.endsAtImmutableValue = false }
        let step = lookup.start(now: now)
        var operation = operations[id] ?? Operation(kind: kind)
        operation.kind = kind
        operation.lookup = lookup
        operations[id] = operation
        apply(step, to: id, now: now)
    }

    /// Sends what a lookup asked for, or moves its operation on when it finished.
    mutating func apply(_ step: Lookup.Step, to id: OperationID, now: DHTTime) {
        switch step {
        case .send(let nodes):
            guard let lookup = operations[id]?.lookup else { return }
            for node in nodes {
                sendQuery(Self.lookupMethod(lookup), to: node.address, expectedID: node.id,
                          purpose: .lookup(id, node), now: now)
            }
        case .finished(let result):
            lookupFinished(id, result: result, now: now)
        }
    }

    static func lookupMethod(_ lookup: Lookup) -> KRPCQuery.Method {
        switch lookup.kind {
        case .findNode:
            .findNode(FindNodeArguments(target: lookup.target))
        case .getPeers:
            .getPeers(GetPeersArguments(infoHash: lookup.target))
        case .getItem(_, let newerThan):
            .get(GetItemArguments(target: lookup.target, sequenceNumber: newerThan))
        case .getSignedPeers:
            .getSignedPeers(GetPeersArguments(infoHash: lookup.target))
        }
    }

    private mutating func lookupFinished(_ id: OperationID, result: LookupResult, now: DHTTime) {
        guard var operation = operations[id] else { return }
        operation.lookup = nil
        operations[id] = operation
        switch operation.kind {
        case .findNode, .refresh:
            complete(id, .nodesFound(result))
        case .bootstrap:
            refreshSparseBuckets(now: now)
            complete(id, .bootstrapped(BootstrapSummary(
                contactsAnswered: operation.contactsAnswered,
                routingTableSize: routingTable.count,
                lookup: result
            )))
        case .getPeers:
            complete(id, .peersFound(result))
        case .get:
            complete(id, .itemFound(result))
        case .ping:
            break
        case .getSignedPeers:
            complete(id, .signedPeersFound(result))
        case .announceSignedPeer(let key):
            let peer = SignedPeer.signed(infoHash: result.target, timestamp: unixClock.microsecondsSinceEpoch(at: now), key: key)
            startStores(id, result: result, now: now) { token in
                .announceSignedPeer(AnnounceSignedPeerArguments(infoHash: result.target, token: token, peer: peer))
            }
        case .announce(let port, let impliedPort):
            startStores(id, result: result, now: now) { token in
                .announcePeer(AnnouncePeerArguments(infoHash: result.target, port: port, token: token, impliedPort: impliedPort))
            }
        case .putImmutable(let item):
            startStores(id, result: result, now: now) { token in
                .put(PutItemArguments(token: token, value: item.value, target: item.target))
            }
        case .putMutable(let item, let compareAndSwap):
            startStores(id, result: result, now: now) { token in
                // `target` is redundant for BEP 44 but pubky's mainline requires it.
                .put(PutItemArguments(
                    token: token, value: item.value, publicKey: item.publicKey, signature: item.signature,
                    sequenceNumber: item.sequenceNumber, expectedSequenceNumber: compareAndSwap,
                    salt: item.salt.isEmpty ? nil : item.salt, target: item.target
                ))
            }
        }
    }

    /// Sends one announce or put to each of the closest nodes that gave us a token.
    private mutating func startStores(
        _ id: OperationID,
        result: LookupResult,
        now: DHTTime,
        method: ([UInt8]) -> KRPCQuery.Method
    ) {
        guard var operation = operations[id] else { return }
        let tokens = result.writeTokens
        operation.store = StoreSummary(target: result.target, lookup: result, attempted: tokens.count, stored: 0, errors: [])
        operation.outstanding = tokens.count
        operations[id] = operation
        for written in tokens {
            sendQuery(method(written.token), to: written.node.address, expectedID: written.node.id,
                      purpose: .store(id), now: now)
        }
        if tokens.isEmpty { finishStores(id) }
    }

    private mutating func finishStores(_ id: OperationID) {
        guard let operation = operations[id], let summary = operation.store else { return }
        switch operation.kind {
        case .announce:
            complete(id, .announced(summary))
        case .announceSignedPeer:
            complete(id, .signedPeerAnnounced(summary))
        default:
            complete(id, .itemStored(summary))
        }
    }

    private mutating func startBootstrapLookup(_ id: OperationID, now: DHTTime) {
        guard let operation = operations[id] else { return }
        var seeds = routingTable.closest(to: nodeID, count: config.lookupClosestCount * 4)
        seeds += operation.bootstrapSeeds
        startLookup(id, kind: .bootstrap, target: nodeID, lookupKind: .findNode, seeds: seeds, now: now)
    }

    private mutating func rejectedOperation(_ reason: String) -> OperationID {
        let id = newOperationID()
        events.append(.operationCompleted(id, .rejected(reason)))
        return id
    }

    // MARK: - Answers to our queries

    enum Reply {
        case response(KRPCResponse)
        case error(KRPCErrorReply)
    }

    /// Accepts an answer only when its transaction id is one of ours in flight and it comes
    /// from the very address we sent that query to; anything else is ignored.
    mutating func handleReply(_ reply: Reply, message: KRPCMessage, from source: DHTAddress, now: DHTTime) {
        guard let transaction = Self.transactionNumber(message.transactionID),
              let pending = pendingQueries[transaction],
              pending.destination == source
        else {
            statistics.repliesIgnored += 1
            return
        }
        pendingQueries[transaction] = nil
        if case .verification = pending.purpose { verificationPingsInFlight -= 1 }
        statistics.repliesAccepted += 1

        var responder: NodeInfo?
        if case .response(let response) = reply {
            let node = NodeInfo(id: response.senderID, address: source)
            responder = node
            if admitsToRoutingTable(node) { routingTable.recordResponse(from: node, at: now) }
            recordExternalAddressVote(message.requesterAddress, from: source, now: now)
        }
        // A node that answers under another id than the one we asked for is not the node
        // a lookup expected; its answer does not count for that candidate.
        let idMatches = pending.expectedID == nil || pending.expectedID == responder?.id

        switch pending.purpose {
        case .verification:
            break
        case .clientPing(let id):
            complete(id, .pinged(responder))
        case .bootstrapContact(let id):
            guard var operation = operations[id] else { return }
            if case .response(let response) = reply {
                operation.contactsAnswered += 1
                let named = (response.nodes ?? []) + (response.nodes6 ?? [])
                operation.bootstrapSeeds += named.prefix(config.lookupClosestCount * 2)
            }
            operation.outstanding -= 1
            operations[id] = operation
            if operation.outstanding == 0 { startBootstrapLookup(id, now: now) }
        case .lookup(let id, let node):
            // Taken out while it changes, so the dictionary's copy does not force a copy.
            guard var lookup = operations[id]?.lookup else { return }
            operations[id]?.lookup = nil
            let step: Lookup.Step
            if case .response(let response) = reply, idMatches {
                step = lookup.handleResponse(from: node, response: response, now: now)
            } else {
                step = lookup.handleError(from: node, now: now)
            }
            operations[id]?.lookup = lookup
            apply(step, to: id, now: now)
        case .store(let id):
            guard var operation = operations[id], var summary = operation.store else { return }
            switch reply {
            case .response: summary.stored += 1
            case .error(let error): summary.errors.append(error)
            }
            operation.store = summary
            operation.outstanding -= 1
            operations[id] = operation
            if operation.outstanding == 0 { finishStores(id) }
        }
    }

    /// Times out every query whose deadline has passed, in a fixed order (deadline, then
    /// transaction id) so that runs replay identically.
    mutating func expireQueries(now: DHTTime) {
        let expired = pendingQueries
            .filter { $0.value.deadline <= now }
            .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
        for (transaction, pending) in expired {
            pendingQueries[transaction] = nil
            statistics.timeouts += 1
            if let expectedID = pending.expectedID {
                routingTable.recordFailure(of: expectedID, at: now)
            }
            switch pending.purpose {
            case .verification(let attempt):
                verificationPingsInFlight -= 1
                // One lost datagram should not leave a node unconfirmed for good: try once more.
                if attempt < 2, let expectedID = pending.expectedID,
                   routingTable.entry(for: expectedID).map({ !$0.isConfirmed && !$0.isBad(settings: routingTable.settings) }) == true {
                    sendQuery(.ping, to: pending.destination, expectedID: expectedID,
                              purpose: .verification(attempt: attempt + 1), now: now)
                }
            case .clientPing(let id):
                complete(id, .pinged(nil))
            case .bootstrapContact(let id):
                guard var operation = operations[id] else { continue }
                operation.outstanding -= 1
                operations[id] = operation
                if operation.outstanding == 0 { startBootstrapLookup(id, now: now) }
            case .lookup(let id, let node):
                guard var lookup = operations[id]?.lookup else { continue }
                operations[id]?.lookup = nil
                let step = lookup.handleTimeout(of: node, now: now)
                operations[id]?.lookup = lookup
                apply(step, to: id, now: now)
            case .store(let id):
                guard var operation = operations[id] else { continue }
                operation.outstanding -= 1
                operations[id] = operation
                if operation.outstanding == 0 { finishStores(id) }
            }
        }
    }
}
