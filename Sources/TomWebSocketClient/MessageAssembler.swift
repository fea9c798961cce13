import NIOCore
import NIOWebSocket

/// Reassembles fragmented data messages (RFC 6455 §5.4) and validates what the
/// server sends, without ever trapping: anything malformed becomes a `.violation`.
/// Text is checked for UTF-8 only when it becomes an event (`event(opcode:payload:)`):
/// a `WebSocketMessageHandler` gets the bytes as they came.
struct MessageAssembler {
    enum Outcome {
        case message(opcode: WebSocketOpcode, payload: ByteBuffer)
        case incomplete
        case violation(code: WebSocketErrorCode, detail: String)
    }

    private let maxMessageSize: Int
    private var partialOpcode: WebSocketOpcode?
    private var partialData = ByteBuffer()

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Feeds one data frame (text, binary or continuation); control frames are handled elsewhere.
    mutating func append(_ frame: WebSocketFrame) -> Outcome {
        var payload = frame.unmaskedData
        switch frame.opcode {
        case .text, .binary:
            guard partialOpcode == nil else {
                return .violation(code: .protocolError, detail: "new data frame inside a fragmented message")
            }
            guard payload.readableBytes <= maxMessageSize else { return tooLarge() }
            if frame.fin {
                return .message(opcode: frame.opcode, payload: payload)
            }
            partialOpcode = frame.opcode
            partialData = payload
            return .incomplete

        case .continuation:
            guard let opcode = partialOpcode else {
                return .violation(code: .protocolError, detail: "continuation frame without a message to continue")
            }
            guard partialData.readableBytes + payload.readableBytes <= maxMessageSize else { return tooLarge() }
            partialData.writeBuffer(&payload)
            guard frame.fin else { return .incomplete }
            let message = partialData
            partialOpcode = nil
            partialData = ByteBuffer()
            return .message(opcode: opcode, payload: message)

        default:
            return .violation(code: .protocolError, detail: "unexpected opcode \(frame.opcode)")
        }
    }

    /// The event for a complete message, or the violation of a text message that is not UTF-8.
    static func event(opcode: WebSocketOpcode, payload: ByteBuffer) -> Result<WebSocketEvent, Violation> {
        guard opcode == .text else { return .success(.binary(payload)) }
        guard let text = String(validating: payload.readableBytesView, as: UTF8.self) else {
            return .failure(Violation(code: .dataInconsistentWithMessage, detail: "text message is not valid UTF-8"))
        }
        return .success(.text(text))
    }

    struct Violation: Error {
        let code: WebSocketErrorCode
        let detail: String
    }

    private func tooLarge() -> Outcome {
        .violation(code: .messageTooLarge, detail: "message larger than \(maxMessageSize) bytes")
    }
}
