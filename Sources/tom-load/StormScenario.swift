import TomWebSocketClient

/// C connected clients register at the same moment; measures how long until every client
/// has been sent a participants list naming all C, and how many bytes that took.
struct StormScenario: Sendable {
    let target: ServerTarget
    let clientCount: Int
    let connectConcurrency: Int
    let deadline: ContinuousClock.Instant
    let counters: LoadCounters

    private struct ReceiverReport: Sendable {
        var convergedAt: Int64?
        var bytes = 0
        var messages = 0
    }

    func run() async -> ScenarioResult {
        var clients: [(identity: LoadIdentity, connection: WebSocketConnection)] = []
        var summary = Summary(scenario: "storm", target: target, clientsRequested: clientCount)

        return await withTaskGroup(of: ReceiverReport.self) { group in
            let connectReport = await ClientFleet.connect(
                count: clientCount, concurrency: connectConcurrency, target: target,
                deadline: deadline, counters: counters
            ) { identity, connection in
                clients.append((identity, connection))
                group.addTask { await receive(on: connection) }
            }
            summary.add(connectReport)

            var timedOut = true
            var stormStartedAt: Int64 = 0
            if !clients.isEmpty {
                counters.expectedParticipants.store(clients.count, ordering: .relaxed)
                let registrations = clients.map { ($0.connection, $0.identity.registerMessage) }
                stormStartedAt = MonotonicClock.nanoseconds()
                let registered = await ClientFleet.sendToEach(registrations)
                counters.registered.bump(by: registered)
                summary.add("register_send_s", Double(MonotonicClock.nanoseconds() - stormStartedAt) / 1e9, decimals: 3)
                timedOut = !(await waitUntil(deadline) { counters.converged.value >= clients.count })
            }

            counters.shuttingDown.store(true, ordering: .relaxed)
            await ClientFleet.closeAll(clients.map(\.connection), graceful: !timedOut)

            var convergenceTimes: [Int64] = []
            var bytes = 0
            var messages = 0
            for await report in group {
                if let convergedAt = report.convergedAt { convergenceTimes.append(convergedAt - stormStartedAt) }
                bytes += report.bytes
                messages += report.messages
            }

            summary.add("registered", counters.registered.value)
            summary.add("converged", convergenceTimes.count)
            let convergence = LatencyStats(samples: convergenceTimes)
            summary.add("convergence_s", convergence.maxMilliseconds.map { $0 / 1000 }, decimals: 3)
            summary.add("convergence_p50_s", convergence.percentileMilliseconds(0.5).map { $0 / 1000 }, decimals: 3)
            summary.add("messages_received", messages)
            summary.add("bytes_received", bytes)
            summary.add("bytes_per_client", clients.isEmpty ? nil : Double(bytes) / Double(clients.count), decimals: 0)
            summary.add("server_errors", counters.serverErrors.value)
            summary.add("unexpected_closes", counters.unexpectedCloses.value)
            summary.add("timed_out", timedOut)
            let complete = !timedOut && connectReport.connected == clientCount && convergenceTimes.count == clientCount
            return ScenarioResult(summary: summary, complete: complete)
        }
    }

    private func receive(on connection: WebSocketConnection) async -> ReceiverReport {
        var report = ReceiverReport()
        receiving: while let batch = try? await connection.nextBatch(), !batch.isEmpty {
            for event in batch {
                guard case .text(let text) = event else {
                    if event.isClosed { break receiving }
                    continue
                }
                // Leave notices caused by our own closing are not part of the storm.
                guard !counters.shuttingDown.load(ordering: .relaxed) else { continue }
                let size = text.utf8.count
                report.bytes += size
                report.messages += 1
                counters.bytesReceived.bump(by: size)
                counters.messagesReceived.bump()
                guard report.convergedAt == nil else { continue }
                let expected = counters.expectedParticipants.load(ordering: .relaxed)
                // Shorter lists cannot name everyone, so skip scanning them.
                guard expected > 0, size >= expected * MessageScanner.minimumParticipantEntryBytes else {
                    if MessageScanner.kind(of: text) == .error { counters.serverErrors.bump() }
                    continue
                }
                if MessageScanner.kind(of: text) == .participants, MessageScanner.nodeIdCount(in: text) >= expected {
                    report.convergedAt = MonotonicClock.nanoseconds()
                    counters.converged.bump()
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
