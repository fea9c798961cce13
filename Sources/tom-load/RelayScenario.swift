import TomWebSocketClient

/// C registered clients fire S signals each at random peers, each with at most `window`
/// undelivered signals in flight, and measure delivery and end-to-end latency.
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

    private struct ReceiverReport: Sendable {
        var latencies: [Int64] = []
        var lastDeliveryAt: Int64 = 0
    }

    private enum ClientTaskOutcome: Sendable {
        case receiver(ReceiverReport)
        case sender
    }

    func run() async -> ScenarioResult {
        let windows = (0..<clientCount).map { _ in SenderWindow(size: window) }
        var clients: [(identity: LoadIdentity, connection: WebSocketConnection)] = []
        var summary = Summary(scenario: "relay", target: target, clientsRequested: clientCount)

        return await withTaskGroup(of: ClientTaskOutcome.self) { group in
            let connectReport = await ClientFleet.connect(
                count: clientCount, concurrency: connectConcurrency, target: target,
                deadline: deadline, counters: counters
            ) { identity, connection in
                clients.append((identity, connection))
                group.addTask { .receiver(await receive(on: connection, identity: identity, windows: windows)) }
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
                    let peers = clients.map(\.identity.nodeId)
                    cpuAtStart = CPUSample.take(serverPid: serverPid)
                    signalsStarted = MonotonicClock.nanoseconds()
                    for (position, client) in clients.enumerated() {
                        let senderWindow = windows[client.identity.index]
                        group.addTask {
                            await sendSignals(
                                from: client.identity, position: position, on: client.connection,
                                peers: peers, window: senderWindow)
                            counters.sendersFinished.bump()
                            return .sender
                        }
                    }
                    timedOut = !(await waitUntil(deadline) { counters.sendersFinished.value >= clients.count })
                    cpuAtEnd = CPUSample.take(serverPid: serverPid)
                }
            }

            counters.shuttingDown.store(true, ordering: .relaxed)
            windows.forEach { $0.close() }
            await ClientFleet.closeAll(clients.map(\.connection), graceful: !timedOut)

            var latencies: [Int64] = []
            var lastDeliveryAt: Int64 = 0
            for await outcome in group {
                if case .receiver(let report) = outcome {
                    latencies.append(contentsOf: report.latencies)
                    lastDeliveryAt = max(lastDeliveryAt, report.lastDeliveryAt)
                }
            }

            let sent = counters.signalsSent.value
            let delivered = counters.signalsDelivered.value
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
    }

    /// Sends this client's signals in bursts: whatever the window allows goes out in one flush.
    private func sendSignals(
        from identity: LoadIdentity, position: Int, on connection: WebSocketConnection,
        peers: [String], window: SenderWindow
    ) async {
        let padding = String(repeating: "x", count: payloadBytes)
        var wakeups = window.wakeups.makeAsyncIterator()
        var sent = 0
        while sent < signalsPerClient {
            let burst = min(window.available(afterSending: sent), signalsPerClient - sent)
            guard burst > 0 else {
                guard await wakeups.next() != nil else { return }
                continue
            }
            let messages = (0..<burst).map { _ in
                // A random peer other than ourselves.
                var peer = Int.random(in: 0..<(peers.count - 1))
                if peer >= position { peer += 1 }
                return identity.signalMessage(to: peers[peer], sentAt: MonotonicClock.nanoseconds(), padding: padding)
            }
            do {
                try await connection.send(texts: messages)
            } catch {
                counters.sendErrors.bump()
                return
            }
            sent += burst
            counters.signalsSent.bump(by: burst)
        }
        while window.available(afterSending: sent) < window.size {
            guard await wakeups.next() != nil else { return }
        }
    }

    private func receive(on connection: WebSocketConnection, identity: LoadIdentity, windows: [SenderWindow]) async
        -> ReceiverReport
    {
        var report = ReceiverReport()
        var converged = false
        receiving: while let batch = try? await connection.nextBatch(), !batch.isEmpty {
            let now = MonotonicClock.nanoseconds()
            for event in batch {
                guard case .text(let text) = event else {
                    if event.isClosed { break receiving }
                    continue
                }
                counters.messagesReceived.bump()
                counters.bytesReceived.bump(by: text.utf8.count)
                switch MessageScanner.kind(of: text) {
                case .signal:
                    guard let sentAt = MessageScanner.integer(forKey: "t", in: text),
                        let sender = MessageScanner.integer(forKey: "s", in: text),
                        sender >= 0, sender < Int64(windows.count)
                    else { continue }
                    report.latencies.append(now - sentAt)
                    report.lastDeliveryAt = now
                    counters.signalsDelivered.bump()
                    windows[Int(sender)].returnCredit()
                case .participants:
                    guard !converged else { continue }
                    let expected = counters.expectedParticipants.load(ordering: .relaxed)
                    // Shorter lists cannot name everyone, so skip scanning them.
                    if expected > 0, text.utf8.count >= expected * MessageScanner.minimumParticipantEntryBytes,
                        MessageScanner.nodeIdCount(in: text) >= expected
                    {
                        converged = true
                        counters.converged.bump()
                    }
                case .error:
                    // Most likely "peer not found" for one of our signals: free its window slot.
                    counters.serverErrors.bump()
                    windows[identity.index].returnCredit()
                case .presence, .heartbeat, .other:
                    break
                }
            }
        }
        counters.open.bump(by: -1)
        if !counters.shuttingDown.load(ordering: .relaxed) {
            counters.unexpectedCloses.bump()
        }
        return report
    }
}
