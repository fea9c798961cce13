/// Many `DHTNode`s in one process, joined by a simulated UDP network on a virtual clock.
///
/// Deliveries and node deadlines sit in one priority queue; `run` pops them in time order,
/// so an hour of DHT traffic takes as long as its computation. Latency is drawn uniformly
/// from `latency` and each datagram is lost with `lossProbability`, both from one seeded
/// generator: the same seed and the same calls give the same run, event for event.
public struct VirtualNetwork: Sendable {
    public struct Settings: Sendable, Hashable {
        /// One-way delay, drawn uniformly per datagram.
        public var latency: ClosedRange<DHTDuration>
        /// Chance that a datagram is dropped, 0...1.
        public var lossProbability: Double
        public var seed: UInt64

        public init(
            latency: ClosedRange<DHTDuration> = DHTDuration.milliseconds(10)...DHTDuration.milliseconds(80),
            lossProbability: Double = 0,
            seed: UInt64 = 1
        ) {
            self.latency = latency
            self.lossProbability = min(max(lossProbability, 0), 1)
            self.seed = seed
        }
    }

    /// Traffic counters.
    public struct Statistics: Hashable, Sendable {
        public var datagramsSent = 0
        public var datagramsLost = 0
        public var datagramsDelivered = 0
        /// Sent to an address no node listens on.
        public var datagramsUndeliverable = 0
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
    /// Every event every node reported, with the node's index, in the order they happened.
    public private(set) var events: [(node: Int, event: DHTEvent)] = []

    private var indexByAddress: [DHTAddress: Int] = [:]
    private var queue = EventQueue<Scheduled>()
    /// The wake-up each node currently has in the queue; older wake entries are stale.
    private var scheduledWake: [DHTTime?] = []
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
        flush(index)
        return index
    }

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
            statistics.datagramsDelivered += 1
            nodes[index].handle(datagram: datagram, from: source, now: now)
            flush(index)
        case .wake(let index):
            guard scheduledWake[index] == time else { return }  // superseded
            scheduledWake[index] = nil
            nodes[index].tick(now: now)
            flush(index)
        }
    }

    /// Sends a node's outgoing datagrams through the lossy, delayed network, collects its
    /// events and re-arms its wake-up.
    private mutating func flush(_ index: Int) {
        let source = addresses[index]
        for datagram in nodes[index].pollOutgoing() {
            statistics.datagramsSent += 1
            guard let destination = indexByAddress[datagram.destination] else {
                statistics.datagramsUndeliverable += 1
                continue
            }
            if settings.lossProbability > 0, Double.random(in: 0..<1, using: &random) < settings.lossProbability {
                statistics.datagramsLost += 1
                continue
            }
            let delay = DHTDuration(nanoseconds: UInt64.random(
                in: settings.latency.lowerBound.nanoseconds...settings.latency.upperBound.nanoseconds, using: &random))
            queue.schedule(.delivery(datagram: datagram.bytes, from: source, to: destination), at: now + delay)
        }
        for event in nodes[index].pollEvents() {
            events.append((index, event))
        }
        if let deadline = nodes[index].nextDeadline {
            let wake = max(deadline, now)
            if scheduledWake[index] != wake {
                scheduledWake[index] = wake
                queue.schedule(.wake(node: index), at: wake)
            }
        }
    }
}
