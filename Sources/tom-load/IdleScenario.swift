import TomWebSocketClient

/// Opens (and registers) C connections, holds them, and reports how many stay open and
/// what they cost the server in RSS.
struct IdleScenario: Sendable {
    let target: ServerTarget
    let clientCount: Int
    let register: Bool
    let hold: Duration
    let connectConcurrency: Int
    let serverPid: Int32?
    let deadline: ContinuousClock.Instant
    let counters: LoadCounters

    private struct ReceiverReport: Sendable {
        var bytes = 0
    }

    func run() async -> ScenarioResult {
        var summary = Summary(scenario: "idle", target: target, clientsRequested: clientCount)
        let descriptorLimit = FileDescriptorLimit.raiseSoftLimitToHard()
        summary.add("client_fd_limit", descriptorLimit.map { .int($0) } ?? .none)

        let memoryBefore = serverPid.flatMap { ProcessMemory.read(pid: $0) }
        var connections: [WebSocketConnection] = []
        let counters = self.counters
        let register = self.register

        return await withTaskGroup(of: ReceiverReport.self) { group in
            let connectReport = await ClientFleet.connect(
                count: clientCount, concurrency: connectConcurrency, target: target,
                deadline: deadline, counters: counters,
                afterConnect: { connection, identity in
                    guard register else { return }
                    try await connection.send(text: identity.registerMessage)
                    counters.registered.bump()
                }
            ) { _, connection in
                connections.append(connection)
                group.addTask { await drain(connection) }
            }
            summary.add(connectReport)
            summary.add(
                "connects_per_second",
                connectReport.elapsed > .zero ? Double(connectReport.connected) / seconds(connectReport.elapsed) : nil,
                decimals: 1)
            summary.add("registered", counters.registered.value)

            let holdEnd = ContinuousClock.now + hold
            let heldFully = holdEnd <= deadline
            if !connections.isEmpty {
                try? await Task.sleep(until: min(holdEnd, deadline))
            }
            let openAfterHold = counters.open.value
            let memoryAfter = serverPid.flatMap { ProcessMemory.read(pid: $0) }
            let timedOut = !heldFully || connectReport.stoppedByDeadline

            counters.shuttingDown.store(true, ordering: .relaxed)
            await ClientFleet.closeAll(connections, graceful: !timedOut)
            var bytes = 0
            for await report in group {
                bytes += report.bytes
            }

            summary.add("hold_s", seconds(hold), decimals: 1)
            summary.add("open_after_hold", openAfterHold)
            summary.add("unexpected_closes", counters.unexpectedCloses.value)
            summary.add("bytes_received", bytes)
            if let memoryBefore, let memoryAfter {
                summary.add("server_rss_before_kib", memoryBefore.residentKiB)
                summary.add("server_rss_after_kib", memoryAfter.residentKiB)
                let perConnection =
                    openAfterHold > 0
                    ? Double(memoryAfter.residentKiB - memoryBefore.residentKiB) / Double(openAfterHold) : nil
                summary.add("server_rss_per_connection_kib", perConnection, decimals: 2)
            }
            summary.add("timed_out", timedOut)
            let complete = !timedOut && connectReport.connected == clientCount && openAfterHold == clientCount
            return ScenarioResult(summary: summary, complete: complete)
        }
    }

    /// Idle clients still have to read what the server sends (participants lists), or its
    /// buffers grow; only the byte count is kept.
    private func drain(_ connection: WebSocketConnection) async -> ReceiverReport {
        var report = ReceiverReport()
        receiving: while let batch = try? await connection.nextBatch(), !batch.isEmpty {
            for event in batch {
                switch event {
                case .text(let text) where !counters.shuttingDown.load(ordering: .relaxed):
                    report.bytes += text.utf8.count
                case .binary(let buffer) where !counters.shuttingDown.load(ordering: .relaxed):
                    report.bytes += buffer.readableBytes
                case .text, .binary:
                    break
                case .closed:
                    break receiving
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
