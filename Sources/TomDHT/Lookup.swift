/// The numbers that shape one iterative lookup.
public struct LookupSettings: Sendable, Hashable {
    /// K: the lookup ends once the K closest nodes it knows have all answered.
    public var closestCount: Int
    /// α: queries in flight at once.
    public var parallelism: Int
    /// Extra attempts after a timeout before a node counts as failed.
    public var retries: Int
    /// Candidates remembered; the farthest unqueried ones are forgotten beyond this.
    public var candidateLimit: Int
    /// Peers collected by a get_peers lookup.
    public var maxPeers: Int

    public init(closestCount: Int = 8, parallelism: Int = 3, retries: Int = 1, candidateLimit: Int = 128, maxPeers: Int = 2_000) {
        self.closestCount = max(1, closestCount)
        self.parallelism = max(1, parallelism)
        self.retries = max(0, retries)
        self.candidateLimit = max(self.closestCount, candidateLimit)
        self.maxPeers = max(0, maxPeers)
    }
}

/// One iterative Kademlia traversal (BEP 5 / BEP 44): `find_node`, `get_peers` or `get`.
///
/// A pure state machine: it never sends anything or reads a clock. Its owner sends the
/// queries it asks for and reports each answer or timeout back; every call returns the
/// next step. One algorithm serves every query kind; the kind only decides what is asked
/// and what is collected from answers (peers, items, write tokens).
public struct Lookup: Sendable {
    public enum Kind: Hashable, Sendable {
        case findNode
        case getPeers
        /// BEP 44 `get`. `salt` is needed to check a mutable item's target; `newerThan`
        /// is sent as `seq` so nodes skip values we already have.
        case getItem(salt: [UInt8], newerThan: Int64?)
        /// Signed peers (draft BEP) `get_signed_peers`: records are verified as they arrive.
        case getSignedPeers
    }

    /// What the owner should do next.
    public enum Step: Hashable, Sendable {
        /// Query these nodes (possibly none: then wait for answers or timeouts).
        case send([NodeInfo])
        /// The lookup is over; later calls return `.send([])`.
        case finished(LookupResult)
    }

    enum CandidateState: Hashable, Sendable {
        case fresh
        case inFlight
        case responded
        case failed
    }

    struct Candidate: Sendable {
        var node: NodeInfo
        var distance: NodeID
        var state: CandidateState = .fresh
        var attempts = 0
        /// Round trips between the seeds and this node: seeds are 0, nodes they name are 1...
        var depth: Int
        var token: [UInt8]?
    }

    public let target: NodeID
    public let kind: Kind
    public let settings: LookupSettings
    let ownID: NodeID
    /// Sorted by distance to `target`, closest first.
    var candidates: [Candidate] = []
    var inFlightCount = 0
    var peers: [DHTAddress] = []
    var peerSet: Set<DHTAddress> = []
    var item: DHTItem?
    var signedPeers = SignedPeerCollection()
    public private(set) var queriesSent = 0
    public private(set) var isFinished = false
    /// A `get` may end at the first immutable value; a put's lookup must not, as it needs
    /// the write tokens of all K closest nodes, also when some already hold the value.
    var endsAtImmutableValue = true

    public init(target: NodeID, kind: Kind, settings: LookupSettings, ownID: NodeID, seeds: [NodeInfo]) {
        self.target = target
        self.kind = kind
        self.settings = settings
        self.ownID = ownID
        for seed in seeds { addCandidate(seed, depth: 0) }
    }

    public mutating func start(now: DHTTime) -> Step {
        nextStep()
    }

    /// `node` answered. Its `nodes`/`nodes6` become candidates; its token, peers and item
    /// are collected. An answer from a node we did not ask is ignored.
    public mutating func handleResponse(from node: NodeInfo, response: KRPCResponse, now: DHTTime) -> Step {
        guard !isFinished, let index = candidateIndex(of: node), candidates[index].state == .inFlight else { return .send([]) }
        inFlightCount -= 1
        candidates[index].state = .responded
        candidates[index].token = response.token
        let depth = candidates[index].depth + 1
        for learned in (response.nodes ?? []) + (response.nodes6 ?? []) {
            addCandidate(learned, depth: depth)
        }
        collect(from: response)
        if case .getSignedPeers = kind, response.token == nil {
            // No token: the node does not know the draft (libtorrent answers unknown queries
            // that name an info_hash like find_node). Its contacts help, but it must not take
            // one of the K places that announces go to.
            candidates[index].state = .failed
        }
        if case .getItem(_, _) = kind, case .immutable = item, endsAtImmutableValue {
            // An immutable value is verified by its hash and can never change: done.
            return finish()
        }
        return nextStep()
    }

    /// A query to `node` timed out or was answered with an error. It is retried while
    /// attempts remain, otherwise the node is out of the lookup.
    public mutating func handleTimeout(of node: NodeInfo, now: DHTTime) -> Step {
        guard !isFinished, let index = candidateIndex(of: node), candidates[index].state == .inFlight else { return .send([]) }
        inFlightCount -= 1
        candidates[index].state = candidates[index].attempts <= settings.retries ? .fresh : .failed
        return nextStep()
    }

    /// An error reply: the node is alive but will not help, so it is not retried.
    public mutating func handleError(from node: NodeInfo, now: DHTTime) -> Step {
        guard !isFinished, let index = candidateIndex(of: node), candidates[index].state == .inFlight else { return .send([]) }
        inFlightCount -= 1
        candidates[index].state = .failed
        return nextStep()
    }

    // MARK: - Internals

    private func candidateIndex(of node: NodeInfo) -> Int? {
        candidates.firstIndex { $0.node.id == node.id && $0.node.address == node.address }
    }

    private mutating func addCandidate(_ node: NodeInfo, depth: Int) {
        guard node.id != ownID, node.address.port != 0 else { return }
        let distance = node.id.distance(to: target)
        // Binary search for the insertion point keeps the list sorted in O(log n) compares.
        var low = 0
        var high = candidates.count
        while low < high {
            let middle = (low + high) / 2
            if candidates[middle].distance < distance { low = middle + 1 } else { high = middle }
        }
        // Same id already known (at this or another address): keep the first sighting,
        // so nobody can redirect a lookup by repeating a close id with their own address.
        if low < candidates.count, candidates[low].distance == distance { return }
        if candidates.count >= settings.candidateLimit {
            // Forget the farthest candidate that has not been asked, if the new one is closer.
            guard let farthestFresh = candidates.lastIndex(where: { $0.state == .fresh }), farthestFresh >= low else { return }
            candidates.remove(at: farthestFresh)
        }
        candidates.insert(Candidate(node: node, distance: distance, depth: depth), at: low)
    }

    private mutating func collect(from response: KRPCResponse) {
        switch kind {
        case .findNode:
            break
        case .getPeers:
            for peer in response.values ?? [] where peers.count < settings.maxPeers && peer.port != 0 {
                if peerSet.insert(peer).inserted { peers.append(peer) }
            }
        case .getSignedPeers:
            signedPeers.collect(response.signedPeers ?? [], infoHash: target, limit: settings.maxPeers)
        case .getItem(let salt, _):
            guard let found = verifiedItem(in: response, salt: salt) else { return }
            switch (item, found) {
            case (.mutable(let current), .mutable(let candidate)) where candidate.sequenceNumber <= current.sequenceNumber:
                break  // keep the newest; equal seq means the same value for honest nodes
            default:
                item = found
            }
        }
    }

    /// The item in a `get` answer, only if it hashes to our target and, when mutable,
    /// carries a valid signature. Anything else is treated as if no value was sent.
    private func verifiedItem(in response: KRPCResponse, salt: [UInt8]) -> DHTItem? {
        guard let value = response.value, value.bytes.count <= MutableItemSigning.maxValueLength else { return nil }
        guard let publicKey = response.publicKey else {
            let immutable = ImmutableItem(value: value)
            return immutable.target == target ? .immutable(immutable) : nil
        }
        guard let signature = response.signature, let sequenceNumber = response.sequenceNumber,
              ItemTarget.mutable(publicKey: publicKey, salt: salt) == target
        else { return nil }
        let mutable = MutableItem(publicKey: publicKey, salt: salt, sequenceNumber: sequenceNumber, value: value, signature: signature)
        return mutable.hasValidSignature ? .mutable(mutable) : nil
    }

    private mutating func nextStep() -> Step {
        guard !isFinished else { return .send([]) }
        // Done when the K closest candidates still in the running have all answered.
        var live = 0
        var closestAllResponded = true
        for candidate in candidates where candidate.state != .failed {
            guard candidate.state == .responded else {
                closestAllResponded = false
                break
            }
            live += 1
            if live == settings.closestCount { break }
        }
        if closestAllResponded { return finish() }

        var toSend: [NodeInfo] = []
        var index = 0
        while inFlightCount < settings.parallelism, index < candidates.count {
            if candidates[index].state == .fresh {
                candidates[index].state = .inFlight
                candidates[index].attempts += 1
                inFlightCount += 1
                queriesSent += 1
                toSend.append(candidates[index].node)
            }
            index += 1
        }
        if toSend.isEmpty, inFlightCount == 0 { return finish() }
        return .send(toSend)
    }

    private mutating func finish() -> Step {
        isFinished = true
        let responded = candidates.filter { $0.state == .responded }
        let closest = responded.prefix(settings.closestCount)
        let result = LookupResult(
            target: target,
            closestNodes: closest.map(\.node),
            writeTokens: closest.compactMap { candidate in candidate.token.map { (candidate.node, $0) } }
                .map { LookupResult.WriteToken(node: $0.0, token: $0.1) },
            peers: peers,
            item: item,
            signedPeers: signedPeers.peers,
            queriesSent: queriesSent,
            responses: responded.count,
            hops: (closest.map(\.depth).max() ?? -1) + 1
        )
        return .finished(result)
    }
}

/// What a finished lookup learned.
public struct LookupResult: Hashable, Sendable {
    public struct WriteToken: Hashable, Sendable {
        public var node: NodeInfo
        public var token: [UInt8]
    }

    public var target: NodeID
    /// The K closest nodes that answered, closest first.
    public var closestNodes: [NodeInfo]
    /// Tokens from those nodes, for a following announce or put.
    public var writeTokens: [WriteToken]
    /// get_peers: every distinct peer seen, in order of arrival.
    public var peers: [DHTAddress]
    /// get: the verified item, the one with the highest `seq` when mutable.
    public var item: DHTItem?
    /// get_signed_peers: every record whose signature holds for the target, one per key
    /// (the newest), in order of arrival.
    public var signedPeers: [SignedPeer] = []
    public var queriesSent: Int
    public var responses: Int
    /// Round trips from the first contacted nodes to the farthest-derived of the closest
    /// nodes: how many steps the lookup needed to converge.
    public var hops: Int
}
