import NIOConcurrencyHelpers
import NIOWebSocket

/// The open legacy WebSocket connections, so shutdown can close each with 1001 ("going
/// away") before the HTTP server stops. Connections add and remove themselves on their
/// event loops, synchronously, so a removal can never overtake its addition.
final class LiveConnections: Sendable {
    /// Starts a connection's closing handshake; callable from any thread.
    typealias Closer = @Sendable (WebSocketErrorCode, String) -> Void

    private let closers = NIOLockedValueBox<[UInt64: Closer]>([:])

    var count: Int { closers.withLockedValue { $0.count } }

    func add(_ id: UInt64, closer: @escaping Closer) {
        closers.withLockedValue { $0[id] = closer }
    }

    func remove(_ id: UInt64) {
        closers.withLockedValue { $0[id] = nil }
    }

    /// Sends a close frame on every connection, then waits until all have ended or the
    /// timeout passes. Runs once, at shutdown, so a short poll is simpler than waiters that
    /// would also have to handle cancellation.
    func closeAll(code: WebSocketErrorCode, reason: String, timeout: Duration) async {
        for closer in closers.withLockedValue({ Array($0.values) }) {
            closer(code, reason)
        }
        let deadline = ContinuousClock.now + timeout
        while count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
