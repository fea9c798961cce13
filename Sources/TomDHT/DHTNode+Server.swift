/// Answering other nodes' queries (BEP 5, 32, 43, 44).
extension DHTNode {
    mutating func handleQuery(_ query: KRPCQuery, message: KRPCMessage, from source: DHTAddress, now: DHTTime) {
        statistics.queriesReceived += 1
        // BEP 43: a read-only node answers nothing.
        if !config.isReadOnly { answer(query, message: message, from: source, now: now) }
        // After answering, so the answer leaves before any verification ping.
        learnFromQuery(query, message: message, from: source, now: now)
    }

    private mutating func answer(_ query: KRPCQuery, message: KRPCMessage, from source: DHTAddress, now: DHTTime) {
        let transactionID = message.transactionID

        switch query.method {
        case .ping:
            sendResponse(KRPCResponse(senderID: nodeID), transactionID: transactionID, to: source)

        case .findNode(let arguments):
            var response = KRPCResponse(senderID: nodeID)
            addClosestNodes(to: arguments.target, want: arguments.want, requester: source, into: &response)
            sendResponse(response, transactionID: transactionID, to: source)

        case .getPeers(let arguments):
            var response = KRPCResponse(senderID: nodeID, token: tokens.token(for: source.ip))
            let peers = peerStore.peers(for: arguments.infoHash, now: now, using: &random)
            if !peers.isEmpty { response.values = peers }
            // Nodes are sent even with values: they cost little and keep lookups converging.
            addClosestNodes(to: arguments.infoHash, want: arguments.want, requester: source, into: &response)
            sendResponse(response, transactionID: transactionID, to: source)

        case .announcePeer(let arguments):
            guard tokens.isValid(arguments.token, for: source.ip) else {
                sendError(.protocolError, "invalid token", transactionID: transactionID, to: source)
                return
            }
            let peer = arguments.peerAddress(datagramSource: source)
            guard peer.port != 0 else {
                sendError(.protocolError, "invalid port", transactionID: transactionID, to: source)
                return
            }
            guard peerStore.announce(peer, for: arguments.infoHash, now: now) else {
                statistics.storesRefusedByAddressQuota += 1
                sendError(.serverError, "too many peers stored from your address", transactionID: transactionID, to: source)
                return
            }
            sendResponse(KRPCResponse(senderID: nodeID), transactionID: transactionID, to: source)

        case .get where !config.answersItemQueries, .put where !config.answersItemQueries:
            sendError(.methodUnknown, "method unknown", transactionID: transactionID, to: source)

        case .get(let arguments):
            var response = KRPCResponse(senderID: nodeID, token: tokens.token(for: source.ip))
            if let stored = itemStore.item(at: arguments.target, now: now) {
                switch stored.item {
                case .immutable(let item):
                    response.value = item.value
                case .mutable(let item):
                    // BEP 44: with `seq`, only a newer item is sent; `seq` alone tells the
                    // requester we hold the version it has.
                    response.sequenceNumber = item.sequenceNumber
                    if arguments.sequenceNumber.map({ item.sequenceNumber > $0 }) ?? true {
                        response.value = item.value
                        response.publicKey = item.publicKey
                        response.signature = item.signature
                    }
                }
            }
            addClosestNodes(to: arguments.target, want: arguments.want, requester: source, into: &response)
            sendResponse(response, transactionID: transactionID, to: source)

        case .put(let arguments):
            guard tokens.isValid(arguments.token, for: source.ip) else {
                sendError(.protocolError, "invalid token", transactionID: transactionID, to: source)
                return
            }
            // `arguments.target`, when present, is ignored: the store derives it itself.
            switch itemStore.put(arguments, from: source.ip, now: now) {
            case .success:
                sendResponse(KRPCResponse(senderID: nodeID), transactionID: transactionID, to: source)
            case .failure(let error):
                if error == .addressQuotaReached { statistics.storesRefusedByAddressQuota += 1 }
                sendError(error.errorCode, error.message, transactionID: transactionID, to: source)
            }

        case .getSignedPeers where !config.answersSignedPeerQueries, .announceSignedPeer where !config.answersSignedPeerQueries:
            sendError(.methodUnknown, "method unknown", transactionID: transactionID, to: source)

        case .getSignedPeers(let arguments):
            // As get_peers: a token and the closest nodes always, records when we hold some.
            var response = KRPCResponse(senderID: nodeID, token: tokens.token(for: source.ip))
            let peers = signedPeerStore.peers(for: arguments.infoHash, now: now, using: &random)
            if !peers.isEmpty { response.signedPeers = peers }
            addClosestNodes(to: arguments.infoHash, want: arguments.want, requester: source, into: &response)
            sendResponse(response, transactionID: transactionID, to: source)

        case .announceSignedPeer(let arguments):
            guard tokens.isValid(arguments.token, for: source.ip) else {
                sendError(.protocolError, "invalid token", transactionID: transactionID, to: source)
                return
            }
            let unixTime = unixClock.microsecondsSinceEpoch(at: now)
            switch signedPeerStore.announce(arguments.peer, for: arguments.infoHash, unixTime: unixTime, from: source.ip, now: now) {
            case .success:
                sendResponse(KRPCResponse(senderID: nodeID), transactionID: transactionID, to: source)
            case .failure(let rejection):
                if rejection == .addressQuotaReached { statistics.storesRefusedByAddressQuota += 1 }
                sendError(rejection.errorCode, rejection.message, transactionID: transactionID, to: source)
            }

        case .unknown:
            sendError(.methodUnknown, "method unknown", transactionID: transactionID, to: source)
        }
    }

    /// A querier is alive; it enters the routing table unless it is read-only (BEP 43).
    /// A node new to us is pinged so it can become confirmed, the only kind we hand out.
    private mutating func learnFromQuery(_ query: KRPCQuery, message: KRPCMessage, from source: DHTAddress, now: DHTTime) {
        guard !message.isReadOnly, source.port != 0 else { return }
        let sender = NodeInfo(id: query.senderID, address: source)
        guard admitsToRoutingTable(sender) else { return }
        let outcome = routingTable.recordQuery(from: sender, at: now)
        guard config.verifyNewQueriers, verificationPingsInFlight < config.maxVerificationPingsInFlight else { return }
        switch outcome {
        case .added, .cachedAsReplacement, .replacedBadNode, .updated:
            // Only nodes that never answered us: pinging confirmed ones again would let two
            // nodes that keep each other as replacement candidates ping each other forever.
            if !routingTable.hasConfirmed(sender.id), !isVerifying(sender.id) {
                sendQuery(.ping, to: source, expectedID: sender.id, purpose: .verification(attempt: 1), now: now)
            }
        case .rejected:
            break
        }
    }

    private func isVerifying(_ id: NodeID) -> Bool {
        pendingQueries.values.contains { pending in
            if case .verification = pending.purpose { return pending.expectedID == id }
            return false
        }
    }

    /// BEP 32: `want` picks the families; without it, the requester's own family.
    private func addClosestNodes(
        to target: NodeID,
        want: Set<AddressFamily>,
        requester: DHTAddress,
        into response: inout KRPCResponse
    ) {
        let families = want.isEmpty ? [requester.family] : want
        // BEP 5: an answer names at most K = 8 nodes per family, whatever our lookups use.
        let count = min(config.lookupClosestCount, KRPCLimits.nodesPerAnswer)
        if families.contains(.v4) {
            response.nodes = routingTable.closest(to: target, count: count, onlyConfirmed: true, family: .v4)
        }
        if families.contains(.v6) {
            response.nodes6 = routingTable.closest(to: target, count: count, onlyConfirmed: true, family: .v6)
        }
    }
}
