import NIOCore
import TomWebSocketClient

/// The part of a relay run that lives on one event loop: the clients whose connections it
/// runs, their sending windows, and the deliveries they receive. Only that loop touches it,
/// so nothing is locked or awaited per message. Work is batched per loop iteration: messages
/// are handled as they are read, and one tick afterwards sends every burst the returned
/// credits allow (one buffer and one flush per sender), passes credits owed to senders on
/// other loops over in one hop per loop, and publishes the counts to the shared counters.
final class RelayLoop {
    /// What every loop needs to know once all clients are connected and registered.
    /// A class, so reading it per message costs one reference, not a copy of four arrays.
    final class Plan: Sendable {
        let loops: [NIOLoopBound<RelayLoop>]
        /// Identity index -> slot of the loop running that client (-1: not connected).
        let slotOfClient: [Int]
        /// Node ids of the connected clients, back to back, `idLength` bytes each.
        let peerIDs: [UInt8]
        let idLength: Int
        /// Told once every connected client has finished sending.
        let allFinished: AsyncStream<Void>.Continuation

        init(
            loops: [NIOLoopBound<RelayLoop>], slotOfClient: [Int], peerIDs: [UInt8], idLength: Int,
            allFinished: AsyncStream<Void>.Continuation
        ) {
            self.loops = loops
            self.slotOfClient = slotOfClient
            self.peerIDs = peerIDs
            self.idLength = idLength
            self.allFinished = allFinished
        }

        var peerCount: Int { peerIDs.count / idLength }
    }

    /// What this loop measured, merged by `RelayScenario`.
    struct Report: Sendable {
        var latencies: [Int64] = []
        var lastDeliveryAt: Int64 = 0
        var delivered = 0
    }

    /// Counts gathered during an iteration, added to the shared atomics once per tick.
    private struct Unpublished {
        var sent = 0
        var delivered = 0
        var messages = 0
        var bytes = 0
        var serverErrors = 0
        var sendErrors = 0
        var sendersFinished = 0
        var converged = 0

        var isEmpty: Bool {
            sent == 0 && delivered == 0 && messages == 0 && serverErrors == 0 && sendErrors == 0
                && sendersFinished == 0 && converged == 0
        }
    }

    let slot: Int
    let eventLoop: any EventLoop
    private let counters: LoadCounters
    private let signalsPerClient: Int
    private let window: Int
    private let payloadBytes: Int

    /// By identity index; only the clients this loop runs.
    private var clients: [RelayClient?]
    private var plan: Plan?
    private var isSending = false
    private var isStopped = false
    private var scheduled: [RelayClient] = []
    private var scheduledSpare: [RelayClient] = []
    /// Sender indices owed a credit, per loop slot.
    private var creditsForLoop: [[Int32]] = []
    private var tickIsScheduled = false
    private var unpublished = Unpublished()
    private var report = Report()
    private var random = SplitMix64()
    private var encoder = MaskedFrameEncoder()

    init(
        slot: Int, eventLoop: any EventLoop, clientCount: Int, signalsPerClient: Int, window: Int, payloadBytes: Int,
        counters: LoadCounters
    ) {
        self.slot = slot
        self.eventLoop = eventLoop
        self.clients = Array(repeating: nil, count: clientCount)
        self.signalsPerClient = signalsPerClient
        self.window = window
        self.payloadBytes = payloadBytes
        self.counters = counters
        // Enough for the usual runs without regrowing; huge runs grow past it as needed.
        report.latencies.reserveCapacity(min(clientCount * signalsPerClient, 1 << 20))
    }

    // MARK: Phases (driven by RelayScenario)

    /// Takes over a freshly connected client: its messages are handled here from now on.
    func add(identity: LoadIdentity, connection: WebSocketConnection, idLength: Int) {
        let client = RelayClient(
            identity: identity, connection: connection, loop: self,
            template: SignalTemplate(identity: identity, targetLength: idLength, padding: payloadBytes))
        clients[identity.index] = client
        connection.deliverMessages(to: client)
    }

    func prepare(_ plan: Plan) {
        self.plan = plan
        creditsForLoop = Array(repeating: [], count: plan.loops.count)
        var position = 0
        for (index, slot) in plan.slotOfClient.enumerated() where slot >= 0 {
            clients[index]?.position = position
            position += 1
        }
    }

    /// Every client of this loop starts sending.
    func start() {
        isSending = true
        for case let client? in clients {
            schedule(client)
        }
        tick()
    }

    /// No more signals go out (the run is over or timed out).
    func stop() {
        isStopped = true
    }

    /// The measurements; lets go of the clients (and so of their connections).
    func finish() -> Report {
        publish()
        clients = []
        scheduled = []
        return report
    }

    // MARK: Events

    func received(_ payload: ByteBuffer, by client: RelayClient) {
        unpublished.messages += 1
        unpublished.bytes += payload.readableBytes
        switch MessageScanner.relayMessage(in: payload) {
        case .signal(let sentAt, let sender):
            guard sender >= 0, sender < Int64(clients.count) else { break }
            let now = MonotonicClock.nanoseconds()
            report.latencies.append(now - sentAt)
            report.lastDeliveryAt = now
            report.delivered += 1
            unpublished.delivered += 1
            returnCredit(to: Int(sender))
        case .participants:
            guard !client.hasConverged else { break }
            let expected = counters.expectedParticipants.load(ordering: .relaxed)
            // Shorter lists cannot name everyone, so skip scanning them.
            if expected > 0, payload.readableBytes >= expected * MessageScanner.minimumParticipantEntryBytes,
                MessageScanner.nodeIdCount(in: payload) >= expected
            {
                client.hasConverged = true
                unpublished.converged += 1
            }
        case .error:
            // Most likely "peer not found" for one of our signals: free its window slot.
            unpublished.serverErrors += 1
            returnCredit(to: client.identity.index)
        case .foreignSignal, .other:
            break
        }
        scheduleTick()
    }

    func ended(_ client: RelayClient) {
        counters.open.bump(by: -1)
        if !counters.shuttingDown.load(ordering: .relaxed) {
            counters.unexpectedCloses.bump()
        }
        if isSending, !isStopped, !client.isFinished {
            // Its remaining signals can never be sent.
            giveUp(client)
            scheduleTick()
        }
    }

    /// Credits for senders of this loop, passed over from another loop.
    func applyCredits(_ senders: [Int32]) {
        for sender in senders {
            returnCredit(to: Int(sender))
        }
        tick()
    }

    // MARK: Internals

    private func returnCredit(to sender: Int) {
        guard clients.indices.contains(sender) else { return }
        guard let plan else {
            // Before the signals start only errors return credits, always to a client of this loop.
            clients[sender]?.returned += 1
            return
        }
        let owner = plan.slotOfClient[sender]
        if owner == slot {
            guard let client = clients[sender] else { return }
            client.returned += 1
            schedule(client)
        } else if owner >= 0 {
            creditsForLoop[owner].append(Int32(sender))
        }
    }

    private func schedule(_ client: RelayClient) {
        guard !client.isScheduled else { return }
        client.isScheduled = true
        scheduled.append(client)
    }

    private func scheduleTick() {
        guard !tickIsScheduled else { return }
        tickIsScheduled = true
        // Runs after the I/O of this loop iteration: every socket read in it is handled first.
        eventLoop.assumeIsolated().execute {
            self.tick()
        }
    }

    private func tick() {
        tickIsScheduled = false
        swap(&scheduled, &scheduledSpare)
        for client in scheduledSpare {
            client.isScheduled = false
            sendBurst(client)
        }
        scheduledSpare.removeAll(keepingCapacity: true)
        // Published before the credits leave, so a sender's loop cannot report it finished
        // before the deliveries that finished it are counted.
        publish()
        guard let plan else { return }
        for owner in creditsForLoop.indices where !creditsForLoop[owner].isEmpty {
            let credits = creditsForLoop[owner]
            creditsForLoop[owner].removeAll(keepingCapacity: true)
            let loop = plan.loops[owner]
            loop.eventLoop.execute {
                loop.value.applyCredits(credits)
            }
        }
    }

    /// Sends whatever the client's window allows in one buffer and one flush.
    private func sendBurst(_ client: RelayClient) {
        guard isSending, !isStopped, !client.isFinished, let plan else { return }
        let burst = min(window - client.outstanding(), signalsPerClient - client.sent)
        if burst > 0 {
            guard client.isConnected else { return giveUp(client) }
            client.template.startBurst(sentAt: MonotonicClock.nanoseconds())
            var frames = client.connection.allocator.buffer(capacity: burst * client.template.frameSize)
            let peerCount = plan.peerCount
            plan.peerIDs.withUnsafeBytes { ids in
                for _ in 0..<burst {
                    // A random peer other than the client itself.
                    var peer = Int.random(in: 0..<(peerCount - 1), using: &random)
                    if peer >= client.position { peer += 1 }
                    let target = UnsafeRawBufferPointer(rebasing: ids[(peer * plan.idLength)..<((peer + 1) * plan.idLength)])
                    client.template.appendFrame(to: target, into: &frames, encoder: &encoder)
                }
            }
            guard client.connection.writeEncodedFrames(frames) else { return giveUp(client) }
            client.connection.flushEncodedFrames()
            client.sent += burst
            unpublished.sent += burst
        }
        if client.sent == signalsPerClient, client.outstanding() <= 0 {
            client.isFinished = true
            unpublished.sendersFinished += 1
        }
    }

    private func giveUp(_ client: RelayClient) {
        client.isFinished = true
        unpublished.sendErrors += 1
        unpublished.sendersFinished += 1
    }

    private func publish() {
        guard !unpublished.isEmpty else { return }
        let counts = unpublished
        unpublished = Unpublished()
        if counts.sent > 0 { counters.signalsSent.bump(by: counts.sent) }
        if counts.delivered > 0 { counters.signalsDelivered.bump(by: counts.delivered) }
        if counts.messages > 0 {
            counters.messagesReceived.bump(by: counts.messages)
            counters.bytesReceived.bump(by: counts.bytes)
        }
        if counts.serverErrors > 0 { counters.serverErrors.bump(by: counts.serverErrors) }
        if counts.sendErrors > 0 { counters.sendErrors.bump(by: counts.sendErrors) }
        if counts.converged > 0 { counters.converged.bump(by: counts.converged) }
        // Last: the scenario reads "every sender finished" as "every count is in".
        if counts.sendersFinished > 0 {
            let finished = counters.sendersFinished.wrappingAdd(counts.sendersFinished, ordering: .relaxed).newValue
            if let plan, finished >= plan.peerCount {
                plan.allFinished.yield()
            }
        }
    }
}
