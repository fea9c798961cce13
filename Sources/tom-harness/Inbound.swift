/// One thing a client received, in arrival order. `closed` and `failed` end the stream.
enum Inbound: Sendable {
    /// A text message that parsed as JSON (any value: the cases decide what an object is).
    case json(JSONValue, text: String)
    /// A text message that is not JSON.
    case notJSON(String)
    /// A binary message (the legacy server only ever sends text).
    case binary(bytes: Int)
    /// The connection ended; `code` is nil when no close frame came (abnormal closure).
    case closed(code: UInt16?)
    /// The server broke the WebSocket protocol, or the socket failed.
    case failed(String)

    var isTerminal: Bool {
        switch self {
        case .closed, .failed: return true
        default: return false
        }
    }

    var summary: String {
        switch self {
        case .json(_, let text): return JSONValue.shorten(text)
        case .notJSON(let text): return "non-JSON text " + JSONValue.shorten(text)
        case .binary(let bytes): return "a binary frame of \(bytes) bytes"
        case .closed(let code): return "close \(code.map(String.init) ?? "without a close frame")"
        case .failed(let reason): return "connection failure: \(reason)"
        }
    }
}
