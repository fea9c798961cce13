import NIOCore
import NIOWebSocket

/// Something that happened on a WebSocket connection, delivered in arrival order.
public enum WebSocketEvent: Sendable {
    /// A complete text message (fragments already reassembled, UTF-8 already validated).
    case text(String)
    /// A complete binary message (fragments already reassembled).
    case binary(ByteBuffer)
    /// The connection is over; this is always the last event.
    ///
    /// `code` and `reason` are what the server put in its close frame. `code` is
    /// `.unknown(1005)` when the close frame carried no status (RFC 6455 §7.1.5), and
    /// `nil` when no close frame arrived at all, i.e. the TCP connection just ended
    /// (the "abnormal closure", 1006, of RFC 6455 §7.1.5).
    case closed(code: WebSocketErrorCode?, reason: String?)
}

extension WebSocketEvent {
    /// The close code as a plain number, so callers need not import NIOWebSocket to compare it.
    public var closeCodeNumber: UInt16? {
        guard case .closed(let code?, _) = self else { return nil }
        return UInt16(webSocketErrorCode: code)
    }

    /// The text of a `.text` event, or nil for any other event.
    public var text: String? {
        guard case .text(let text) = self else { return nil }
        return text
    }

    public var isClosed: Bool {
        if case .closed = self { return true }
        return false
    }
}

extension WebSocketEvent: CustomStringConvertible {
    public var description: String {
        switch self {
        case .text(let text):
            return "text(\(text.count > 200 ? String(text.prefix(200)) + "…" : text))"
        case .binary(let buffer):
            return "binary(\(buffer.readableBytes) bytes)"
        case .closed(let code, let reason):
            let number = code.map { String(UInt16(webSocketErrorCode: $0)) } ?? "none"
            return "closed(code: \(number), reason: \(reason ?? "none"))"
        }
    }
}
