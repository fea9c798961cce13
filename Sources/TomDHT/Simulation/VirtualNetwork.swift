/// Many `DHTNode`s in one process, joined by a simulated UDP network on a virtual clock.
///
/// Deliveries and node deadlines sit in one priority queue; `run` pops them in time order,
/// so an hour of DHT traffic takes as long as its computation. Latency is drawn from
/// `latencyDistribution` (uniform over `latency` unless set) and each datagram is lost with
/// `lossProbability`, both from one seeded generator: the same seed and the same calls give
/// the same run, event for event. Nodes can leave silently (`removeNode`) and the network
/// can be split into groups that cannot reach each other (`partitionGroups`).
public struct VirtualNetwork: Sendable {
    public struct Settings: Sendable, Hashable {
        /// One-way delay, drawn uniformly per datagram unless `latencyDistribution` says otherwise.
        public var latency: ClosedRange<DHTDuration>
        /// How the one-way delay is drawn.
        public var latencyDistribution: LatencyDistribution
        /// Chance that a datagram is dropped, 0...1.
        public var lossProbability: Double
        public var seed: UInt64

        public init(
            latency: ClosedRange<DHTDuration> = DHTDuration.milliseconds(10)...DHTDuration.milliseconds(80),
            lossProbability: Double = 0,
            seed: UInt64 = 1,
            latencyDistribution: LatencyDistribution = .uniform
        ) {
            self.latency = latency
            self.latencyDistribution = latencyDistribution
            self.lossProbability = min(max(lossProbability, 0), 1)
            self.seed = seed
        }
    }

    /// Traffic counters.
    public struct Statistics: Hashable, Sendable {
        public var datagramsSent = 0
        public var datagramsLost = 0
        public var datagramsDelivered = 0
        /// Sent to an address no node listens on (or to a node that left).
        public var datagramsUndeliverable = 0
        /// Dropped because sender and receiver were in different partition groups.
        public var datagramsPartitioned = 0
        public var bytesSent = 0
        public var bytesDelivered = 0
    }

    enum Scheduled: Sendable {
        case delivery(datagram: [UInt8], from: DHTAddress, to: Int)
        case wake(node: Int)
    }

    /// Latency and loss may change mid-run (to add loss to a network built without it);
    /// the seed only matters at creation.
    public var settings: Settings
    public private(set) var now: DHTTime
    public private(set) var nodes: [DHTNode] = []
    public private(set) var addresses: [DHTAddress] = []
    public private(set) var statistics = Statistics()
    /// Every event every node reported, with the node's index, in the order they happened
    /// (until taken with `takeEvents`).
    public private(set) var events: [(node: Int, event: DHTEvent)] = []
    /// Whether each node is still on the network (false after `removeNode`).
    public private(set) var isLive: [Bool] = []
    /// Group of each node while the network is partitioned: datagrams between different
    /// groups are dropped. Empty (the default) means no partition; nodes past its end are in group 0.
    public var partitionGroups: [UInt8] = []
    /// Datagrams sent or received by watched nodes (see `watch`), oldest first.
    public private(set) var watchedTraffic: [WatchedDatagram] = []

    private var indexByAddress: [DHTAddress: Int] = [:]
    private var queue = EventQueue<Scheduled>()
    /// The wake-up each node currently has in the queue; older wake entries are stale.
    private var scheduledWake: [DHTTime?] = []
    /// How many watchers each node has; its traffic is recorded while above zero.
    private var watchCount: [Int] = []
    private var random: DHTRandom

    public init(settings: Settings = Settings(), start: DHTTime = DHTTime(nanoseconds: 1_000_000_000)) {
        self.settings = settings
        self.now = start
        self.random = DHTRandom(seed: settings.seed)
    }

    /// Adds a node at the next free address (10.x.y.z:6881) with an id and seed drawn from
    /// the network's generator unless given. Returns its index.
    @discardableResult
    public mutating func addNode(config: DHTConfig = DHTConfig(), nodeID: NodeID? = nil) -> Int {
        let index = nodes.count
        let number = UInt32(index + 1)
        let address = DHTAddress(ip: .v4(IPv4Address(0x0A00_0000 | number)), port: 6881)
        let node = DHTNode(config: config, nodeID: nodeID ?? NodeID.random(using: &random), seed: random.next(), now: now)
        nodes.append(node)
        addresses.append(address)
        indexByAddress[address] = index
        scheduledWake.append(nil)
        isLive.append(true)
        watchCount.append(0)
        flush(index)
        return index
    }

    /// Takes node `index` off the network without a word, as a peer that quits or loses its
    /// connection does: datagrams to it are undeliverable from now on, including those
    /// already in flight, and it never wakes again. Its state is dropped to save memory.
    public mutating func removeNode(_ index: Int) {
        guard isLive.indices.contains(index), isLive[index] else { return }
        isLive[index] = false
        indexByAddress[addresses[index]] = nil
        scheduledWake[index] = nil
        watchCount[index] = 0
        let node = nodes[index]
        nodes[index] = DHTNode(config: node.config, nodeID: node.nodeID, seed: 0, now: now)
    }

    /// Starts (or, with `false`, stops) recording node `index`'s traffic in `watchedTraffic`.
    /// Watches nest: a node is recorded until each `watch(index, true)` has been undone.
    public mutating func watch(_ index: Int, _ on: Bool) {
        guard watchCount.indices.contains(index) else { return }
        watchCount[index] = max(0, watchCount[index] + (on ? 1 : -1))
    }

    /// Returns the recorded traffic of watched nodes and forgets it.
    public mutating func takeWatchedTraffic() -> [WatchedDatagram] {
        defer { watchedTraffic.removeAll(keepingCapacity: true) }
        return watchedTraffic
    }

    /// Returns the events reported since the last call (or since the start) and forgets them,
    /// so a long run does not keep every event. `outcome(of:on:)` only sees events not taken.
    public mutating func takeEvents() -> [(node: Int, event: DHTEvent)] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// When the next delivery or wake-up is due, if any.
    public var nextEventTime: DHTTime? { queue.nextTime }

    public func index(of address: DHTAddress) -> Int? {
        indexByAddress[address]
    }

    /// Runs `body` on node `index` at the current virtual time (to start an operation, for
    /// example), then sends what it produced.
    @discardableResult
    public mutating func withNode<Result>(_ index: Int, _ body: (inout DHTNode, DHTTime) -> Result) -> Result {
        let result = body(&nodes[index], now)
        flush(index)
        return result
    }

    /// Processes deliveries and deadlines up to and including `deadline`, then sets the
    /// clock to it.
    public mutating func run(until deadline: DHTTime) {
        while let next = queue.nextTime, next <= deadline {
            step()
        }
        if deadline > now { now = deadline }
    }

    public mutating func run(for duration: DHTDuration) {
        run(until: now + duration)
    }

    /// Runs until `condition` holds or `timeout` of virtual time has passed; returns whether
    /// the condition held.
    @discardableResult
    public mutating func run(timeout: DHTDuration, until condition: (VirtualNetwork) -> Bool) -> Bool {
        let deadline = now + timeout
        while !condition(self) {
            guard let next = queue.nextTime, next <= deadline else {
                now = max(now, deadline)
                return condition(self)
            }
            step()
        }
        return true
    }

    /// The completion of `operation` on node `index`, once it has been reported.
    public func outcome(of operation: OperationID, on index: Int) -> OperationOutcome? {
        for entry in events.reversed() where entry.node == index {
            if case .operationCompleted(let id, let outcome) = entry.event, id == operation { return outcome }
        }
        return nil
    }

    /// Starts an operation on node `index` and runs the network until it completes (or
    /// `timeout` passes). Returns its outcome.
    public mutating func perform(
        on index: Int,
        timeout: DHTDuration = .seconds(120),
        _ start: (inout DHTNode, DHTTime) -> OperationID
    ) -> OperationOutcome? {
        let operation = withNode(index, start)
        let firstEvent = events.count
        run(timeout: timeout) { network in
            network.events[firstEvent...].contains { entry in
                if entry.node == index, case .operationCompleted(let id, _) = entry.event { return id == operation }
                return false
            }
        }
        return outcome(of: operation, on: index)
    }

    // MARK: - Internals

    private mutating func step() {
        guard let (time, scheduled) = queue.popFirst() else { return }
        if time > now { now = time }
        switch scheduled {
        case .delivery(let datagram, let source, let index):
            guard isLive[index] else {
                statistics.datagramsUndeliverable += 1
                return
            }
            statistics.datagramsDelivered += 1
            statistics.bytesDelivered += datagram.count
            if watchCount[index] > 0 {
                watchedTraffic.append(WatchedDatagram(time: now, node: index, direction: .received, peer: source, bytes: datagram))
            }
            nodes[index].handle(datagram: datagram, from: source, now: now)
            flush(index)
        case .wake(let index):
            guard scheduledWake[index] == time else { return }  // superseded, or the node left
            scheduledWake[index] = nil
            nodes[index].tick(now: now)
            flush(index)
        }
    }

    /// Sends a node's outgoing datagrams through the lossy, delayed network, collects its
    /// events and re-arms its wake-up.
    private mutating func flush(_ index: Int) {
        guard isLive[index] else { return }  // a node that left sends nothing
        let source = addresses[index]
        let watched = watchCount[index] > 0
        // One in-place access to the node: reading a property of `nodes[index]` would copy it.
        let (outgoing, reported, deadline) = Self.poll(&nodes[index])
        for datagram in outgoing {
            statistics.datagramsSent += 1
            statistics.bytesSent += datagram.bytes.count
            if watched {
                watchedTraffic.append(WatchedDatagram(time: now, node: index, direction: .sent, peer: datagram.destination, bytes: datagram.bytes))
            }
            guard let destination = indexByAddress[datagram.destination] else {
                statistics.datagramsUndeliverable += 1
                continue
            }
            if !partitionGroups.isEmpty, group(of: index) != group(of: destination) {
                statistics.datagramsPartitioned += 1
                continue
            }
            if settings.lossProbability > 0, Double.random(in: 0..<1, using: &random) < settings.lossProbability {
                statistics.datagramsLost += 1
                continue
            }
            let delay = drawLatency()
            queue.schedule(.delivery(datagram: datagram.bytes, from: source, to: destination), at: now + delay)
        }
        for event in reported {
            events.append((index, event))
        }
        if let deadline {
            let wake = max(deadline, now)
            if scheduledWake[index] != wake {
                scheduledWake[index] = wake
                queue.schedule(.wake(node: index), at: wake)
            }
        }
    }

    private static func poll(_ node: inout DHTNode) -> ([OutgoingDatagram], [DHTEvent], DHTTime?) {
        (node.pollOutgoing(), node.pollEvents(), node.nextDeadline)
    }

    private func group(of index: Int) -> UInt8 {
        index < partitionGroups.count ? partitionGroups[index] : 0
    }

    private mutating func drawLatency() -> DHTDuration {
        switch settings.latencyDistribution {
        case .uniform:
            return DHTDuration(nanoseconds: UInt64.random(
                in: settings.latency.lowerBound.nanoseconds...settings.latency.upperBound.nanoseconds, using: &random))
        case .quantiles(let table):
            guard !table.isEmpty else { return settings.latency.lowerBound }
            return table[Int.random(in: 0..<table.count, using: &random)]
        }
    }
}
