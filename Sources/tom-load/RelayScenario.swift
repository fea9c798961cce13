import NIOCore
import TomWebSocketClient

/// C registered clients fire S signals each at random peers, each with at most `window`
/// undelivered signals in flight, and measure delivery and end-to-end latency.
///
/// The clients run on the event loops (`RelayLoop`, one per loop of the group, clients spread
/// round-robin; one loop by default): messages are handled as they are read and bursts are
/// written from there, so the tool's own CPU per signal stays well below the server's. Tasks
/// only drive the phases.
struct RelayScenario: Sendable {
    let target: ServerTarget
    let clientCount: Int
    let signalsPerClient: Int
    let payloadBytes: Int
    let window: Int
    let connectConcurrency: Int
    let serverPid: Int32?
    let deadline: ContinuousClock.Instant
    let counters: LoadCounters
    let eventLoopGroup: any EventLoopGroup

    func run() async -> ScenarioResult {
        var summary = Summary(scenario: "relay", target: target, clientsRequested: clientCount)
        let loops = await makeLoops()
        let idLength = LoadIdentity(index: 0).nodeId.utf8.count
        var clients: [(identity: LoadIdentity, connection: WebSocketConnection)] = []

        let connectReport = await ClientFleet.connect(
            count: clientCount, concurrency: connectConcurrency, target: target,
            deadline: deadline, counters: counters, eventLoopGroup: eventLoopGroup
        ) { identity, connection in
            clients.append((identity, connection))
            guard let loop = loops.first(where: { $0.eventLoop === connection.eventLoop }) else {
                preconditionFailure("connection on an event loop outside the group")
            }
            loop.eventLoop.execute {
                loop.value.add(identity: identity, connection: connection, idLength: idLength)
            }
        }
        summary.add(connectReport)

        var timedOut = false
        var signalsStarted: Int64?
        var cpuAtStart: CPUSample?
        var cpuAtEnd: CPUSample?
        if clients.count >= 2 {
            counters.expectedParticipants.store(clients.count, ordering: .relaxed)
            let registerStart = ContinuousClock.now
            let registered = await ClientFleet.sendToEach(clients.map { ($0.connection, $0.identity.registerMessage) })
            counters.registered.bump(by: registered)
            let converged = await waitUntil(deadline) { counters.converged.value >= clients.count }
            summary.add("registration_convergence_s", seconds(registerStart.duration(to: .now)), decimals: 3)
            timedOut = !converged

            if converged {
                let (allFinished, allFinishedSource) = AsyncStream.makeStream(of: Void.self)
                let plan = makePlan(loops: loops, clients: clients, idLength: idLength, allFinished: allFinishedSource)
                // Every loop knows where each sender lives before any signal can reach it.
                await onEachLoop(loops) { $0.prepare(plan) }
                cpuAtStart = CPUSample.take(serverPid: serverPid)
                signalsStarted = MonotonicClock.nanoseconds()
                for loop in loops {
                    loop.eventLoop.execute { loop.value.start() }
                }
                // Woken by the loop that counts the last sender, not polled: polling costs CPU in the measured phase.
                _ = await first(of: allFinished, before: deadline)
                timedOut = counters.sendersFinished.value < clients.count
                cpuAtEnd = CPUSample.take(serverPid: serverPid)
            }
        }

        await onEachLoop(loops) { $0.stop() }
        counters.shuttingDown.store(true, ordering: .relaxed)
        await ClientFleet.closeAll(clients.map(\.connection), graceful: !timedOut)
        clients = []
        let reports = await onEachLoop(loops) { $0.finish() }

        var latencies: [Int64] = []
        latencies.reserveCapacity(reports.reduce(0) { $0 + $1.latencies.count })
        for report in reports {
            latencies.append(contentsOf: report.latencies)
        }
        let lastDeliveryAt = reports.map(\.lastDeliveryAt).max() ?? 0
        let sent = counters.signalsSent.value
        let delivered = reports.reduce(0) { $0 + $1.delivered }
        summary.add("registered", counters.registered.value)
        summary.add("converged", counters.converged.value)
        summary.add("signals_per_client", signalsPerClient)
        summary.add("payload_bytes", payloadBytes)
        summary.add("window", window)
        summary.add("signals_sent", sent)
        summary.add("signals_delivered", delivered)
        summary.add("delivery_ratio", sent > 0 ? Double(delivered) / Double(sent) : nil, decimals: 4)
        let sendWindow = signalsStarted.map { Double(max(lastDeliveryAt - $0, 0)) / 1e9 }
        summary.add("send_window_s", sendWindow, decimals: 3)
        summary.add(
            "signals_per_second", sendWindow.flatMap { $0 > 0 ? Double(delivered) / $0 : nil }, decimals: 1)
        LatencyStats(samples: latencies).add(to: &summary, prefix: "latency")
        if let cpuAtStart, let cpuAtEnd {
            cpuAtEnd.add(since: cpuAtStart, signals: delivered, to: &summary)
        }
        summary.add("server_errors", counters.serverErrors.value)
        summary.add("send_errors", counters.sendErrors.value)
        summary.add("unexpected_closes", counters.unexpectedCloses.value)
        summary.add("timed_out", timedOut)
        let complete =
            !timedOut && connectReport.connected == clientCount && sent == clientCount * signalsPerClient
            && delivered == sent
        return ScenarioResult(summary: summary, complete: complete)
    }

    /// One `RelayLoop` per event loop of the group, each created on its own loop.
    private func makeLoops() async -> [NIOLoopBound<RelayLoop>] {
        var loops: [NIOLoopBound<RelayLoop>] = []
        for (slot, eventLoop) in eventLoopGroup.makeIterator().enumerated() {
            let made = eventLoop.submit { [clientCount, signalsPerClient, window, payloadBytes, counters] in
                NIOLoopBound(
                    RelayLoop(
                        slot: slot, eventLoop: eventLoop, clientCount: clientCount, signalsPerClient: signalsPerClient,
                        window: window, payloadBytes: payloadBytes, counters: counters),
                    eventLoop: eventLoop)
            }
            // Creating an object on an idle loop cannot fail.
            loops.append(try! await made.get())
        }
        return loops
    }

    private func makePlan(
        loops: [NIOLoopBound<RelayLoop>], clients: [(identity: LoadIdentity, connection: WebSocketConnection)],
        idLength: Int, allFinished: AsyncStream<Void>.Continuation
    ) -> RelayLoop.Plan {
        var slotOfClient = Array(repeating: -1, count: clientCount)
        var idOfClient: [String?] = Array(repeating: nil, count: clientCount)
        for client in clients {
            slotOfClient[client.identity.index] = loops.firstIndex { $0.eventLoop === client.connection.eventLoop } ?? -1
            idOfClient[client.identity.index] = client.identity.nodeId
        }
        // Peers in identity order, which is also the order in which each loop numbers its clients' positions.
        let peerIDs = idOfClient.compactMap { $0 }.flatMap { Array($0.utf8) }
        return RelayLoop.Plan(
            loops: loops, slotOfClient: slotOfClient, peerIDs: peerIDs, idLength: idLength, allFinished: allFinished)
    }

    /// Runs `body` on every loop and waits for all of them.
    @discardableResult
    private func onEachLoop<Result: Sendable>(
        _ loops: [NIOLoopBound<RelayLoop>], _ body: @escaping @Sendable (RelayLoop) -> Result
    ) async -> [Result] {
        var results: [Result] = []
        for loop in loops {
            // A task on a running loop cannot fail.
            results.append(try! await loop.eventLoop.submit { body(loop.value) }.get())
        }
        return results
    }
}
