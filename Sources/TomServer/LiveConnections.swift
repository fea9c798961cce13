import HummingbirdWebSocket
import NIOWebSocket

/// The open WebSocket connections, so shutdown can close each with 1001 ("going away")
/// before the HTTP server stops.
actor LiveConnections {
    typealias Closer = @Sendable (WebSocketErrorCode, String) async -> Void

    private var closers: [UInt64: Closer] = [:]
    private var emptyWaiters: [CheckedContinuation<Void, Never>] = []

    var count: Int { closers.count }

    func add(_ id: UInt64, closer: @escaping Closer) {
        closers[id] = closer
    }

    func remove(_ id: UInt64) {
        closers[id] = nil
        if closers.isEmpty {
            emptyWaiters.forEach { $0.resume() }
            emptyWaiters.removeAll()
        }
    }

    /// Sends a close frame on every connection, then waits until all have ended or the
    /// timeout passes.
    func closeAll(code: WebSocketErrorCode, reason: String, timeout: Duration) async {
        let pending = Array(closers.values)
        await withTaskGroup(of: Void.self) { group in
            for closer in pending {
                group.addTask { await closer(code, reason) }
            }
        }
        guard !closers.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilEmpty() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitUntilEmpty() async {
        guard !closers.isEmpty else { return }
        await withCheckedContinuation { emptyWaiters.append($0) }
    }
}
