import NIOCore

/// Why a connection attempt or a receive failed.
public enum WebSocketClientError: Error, Sendable {
    /// The server answered the upgrade request with something other than `101`
    /// (for instance `503` when it is full); the full response is kept for assertions.
    case upgradeRejected(status: Int, headers: HeaderFields, body: String)
    /// The server said `101` but the handshake was wrong (bad `Sec-WebSocket-Accept`,
    /// missing `Upgrade: websocket`, ...).
    case invalidHandshake(String)
    /// No complete handshake response arrived within the handshake timeout.
    case handshakeTimedOut
    /// An `HTTPProbe` request got no complete response in time.
    case requestTimedOut
    /// `next(timeout:)` saw no event in time; the connection is still usable.
    case receiveTimedOut
    /// The server broke RFC 6455; the client sent a close frame with `code` and dropped the connection.
    case protocolViolation(code: UInt16, detail: String)
    /// Two tasks tried to receive from the same connection at once.
    case concurrentReceive
    /// An HTTP response body was larger than the client is willing to buffer.
    case responseTooLarge(limit: Int)
    /// The connection ended before a complete HTTP response arrived.
    case incompleteHTTPResponse
    /// A host, port or path that cannot be used.
    case invalidArgument(String)
}

extension WebSocketClientError {
    /// The HTTP status of a rejected upgrade, for quick assertions like `error.httpStatus == 503`.
    public var httpStatus: Int? {
        guard case .upgradeRejected(let status, _, _) = self else { return nil }
        return status
    }
}

extension WebSocketClientError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .upgradeRejected(let status, _, let body):
            return "upgrade rejected with HTTP \(status): \(body.prefix(200))"
        case .invalidHandshake(let detail):
            return "invalid WebSocket handshake: \(detail)"
        case .handshakeTimedOut:
            return "WebSocket handshake timed out"
        case .requestTimedOut:
            return "HTTP request timed out"
        case .receiveTimedOut:
            return "no WebSocket event within the timeout"
        case .protocolViolation(let code, let detail):
            return "server violated the WebSocket protocol (closed with \(code)): \(detail)"
        case .concurrentReceive:
            return "another task is already receiving on this connection"
        case .responseTooLarge(let limit):
            return "HTTP response body exceeds \(limit) bytes"
        case .incompleteHTTPResponse:
            return "connection closed before a complete HTTP response"
        case .invalidArgument(let detail):
            return "invalid argument: \(detail)"
        }
    }
}
