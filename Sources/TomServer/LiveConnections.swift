import HummingbirdWebSocket
import NIOWebSocket

/// The open WebSocket connections, so shutdown can close each with 1001 ("going away")
/// before the HTTP server stops.
actor LiveConnections {
    typealias Closer = @Sendable (WebSocketErrorCode, String) async -> Void

    private var closers: [UInt64: Closer] = [:]

    var count: Int { closers.count }

    func add(_ id: UInt64, closer: @escaping Closer) {
        closers[id] = closer
    }

    func remove(_ id: UInt64) {
        closers[id] = nil
    }

    /// Sends a close frame on every connection, then waits until all have ended or the
    /// timeout passes. Runs once, at shutdown, so a short poll is simpler than waiters that
    /// would also have to handle cancellation.
    func closeAll(code: WebSocketErrorCode, reason: String, timeout: Duration) async {
        let pending = Array(closers.values)
        await withTaskGroup(of: Void.self) { group in
            for closer in pending {
                group.addTask { await closer(code, reason) }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while !closers.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
