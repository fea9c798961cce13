import NIOCore
import NIOWebSocket

/// A whole WebSocket data message, reassembled from its frames.
struct WebSocketDataMessage: Sendable {
    enum Kind: Sendable {
        case text
        case binary
    }

    var kind: Kind
    var bytes: ByteBuffer
    /// Whether every byte is ASCII (so certainly UTF-8), as found while unmasking.
    var isASCII: Bool
}

/// Asks a connection's `WebSocketConnectionHandler` to start the closing handshake; sent
/// down the pipeline with `triggerUserOutboundEvent`, so any thread may ask.
struct WebSocketCloseRequest: Sendable {
    var code: WebSocketErrorCode
    var reason: String?
}

/// RFC 6455 for one upgraded server connection, on its event loop, right after NIOWebSocket's
/// frame decoder: the protocol rules, so that the handler after it sees only whole, valid data
/// messages (`WebSocketDataMessage`).
///
/// - client frames must be masked, with no reserved bits or opcodes (else close 1002);
/// - fragmented messages are reassembled up to `maxMessageBytes` (else close 1009), and
///   text must be UTF-8 (else close 1007);
/// - pings are answered; keepalive pings go out every `pingInterval`, and a client that has
///   not answered the previous one by then is closed with 1001 (an event-loop timer costs a
///   connection far less memory than a sleeping task);
/// - the closing handshake either way: a client's close is answered and the connection cut;
///   our own close (`WebSocketCloseRequest`) waits `closeTimeout` for the client's answer,
///   and data written after it is dropped.
///
/// Errors the decoder raises (oversize or malformed frames) close the connection at once,
/// since the decoder reads nothing more after one. `onError` reports each failure's metric
/// kind: `oversize` or `protocol` (a keepalive timeout is not an error).
final class WebSocketConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketDataMessage
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    struct Settings: Sendable {
        var maxMessageBytes: Int
        var pingInterval: TimeAmount?
        var closeTimeout: TimeAmount
    }

    private enum State {
        case open
        /// We sent a close frame and wait for the client's.
        case closing
        case closed
    }

    private let settings: Settings
    private let onError: @Sendable (String) -> Void
    private var state = State.open
    private var fragments: WebSocketDataMessage?
    private var awaitingPong = false
    private var nextPing: Scheduled<Void>?

    init(settings: Settings, onError: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.onError = onError
    }

    func handlerAdded(context: ChannelHandlerContext) {
        schedulePing(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelPing()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        fragments = nil
        cancelPing()
        context.fireChannelInactive()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .closed = state { return }
        receive(unwrapInboundIn(data), context: context)
    }

    private func receive(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            fail(.protocolError, kind: "protocol", context: context)
            return
        }
        switch frame.opcode {
        case .connectionClose:
            receivedClose(frame, context: context)
        case .ping:
            guard case .open = state else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            awaitingPong = false
        case .text, .binary:
            guard fragments == nil else {
                fail(.protocolError, kind: "protocol", context: context)
                return
            }
            let payload = frame.unmaskedPayload
            let message = WebSocketDataMessage(kind: frame.opcode == .text ? .text : .binary, bytes: payload.bytes, isASCII: payload.isASCII)
            if frame.fin {
                deliver(message, context: context)
            } else {
                fragments = message
            }
        case .continuation:
            guard var message = fragments else {
                fail(.protocolError, kind: "protocol", context: context)
                return
            }
            guard message.bytes.readableBytes + frame.length <= settings.maxMessageBytes else {
                fail(.messageTooLarge, kind: "oversize", context: context)
                return
            }
            fragments = nil
            var part = frame.unmaskedPayload
            message.bytes.writeBuffer(&part.bytes)
            message.isASCII = message.isASCII && part.isASCII
            if frame.fin {
                deliver(message, context: context)
            } else {
                fragments = message
            }
        default:
            fail(.protocolError, kind: "protocol", context: context)
        }
    }

    private func deliver(_ message: WebSocketDataMessage, context: ChannelHandlerContext) {
        // After our close frame, data is read and dropped until the client answers.
        guard case .open = state else { return }
        if message.kind == .text, !message.isASCII, !message.bytes.isValidUTF8 {
            fail(.dataInconsistentWithMessage, kind: "protocol", context: context)
            return
        }
        context.fireChannelRead(wrapInboundOut(message))
    }

    /// Answers a client's close as RFC 6455 §7.4 asks (1000, or 1002 for a malformed close),
    /// then cuts the connection; or completes the handshake we started.
    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard case .open = state else {
            context.close(promise: nil)
            return
        }
        state = .closing
        cancelPing()
        let reply = Self.answer(toClosePayload: frame.unmaskedData)
        writeClose(code: reply, reason: nil, context: context).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    static func answer(toClosePayload payload: ByteBuffer) -> WebSocketErrorCode {
        var payload = payload
        guard payload.readableBytes > 0 else { return .normalClosure }
        guard let code = payload.readWebSocketErrorCode() else { return .protocolError }
        if payload.readableBytes > 0, !payload.isValidUTF8 { return .protocolError }
        if case .unknown(let raw) = code, raw < 3000 || raw > 4999 { return .protocolError }
        return .normalClosure
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? NIOWebSocketError else {
            context.close(promise: nil)
            return
        }
        if case .invalidFrameLength = error {
            fail(.messageTooLarge, kind: "oversize", context: context)
        } else {
            fail(.protocolError, kind: "protocol", context: context)
        }
    }

    /// Closes with `code` and cuts the connection once the close frame is out: after a
    /// protocol error there is no handshake to wait for.
    private func fail(_ code: WebSocketErrorCode, kind: String?, context: ChannelHandlerContext) {
        guard case .open = state else {
            context.close(promise: nil)
            return
        }
        if let kind { onError(kind) }
        state = .closing
        cancelPing()
        fragments = nil
        writeClose(code: code, reason: nil, context: context).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .open = state else {
            // Nothing may follow our close frame; the writer's accounting still needs the promise.
            promise?.succeed()
            return
        }
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let request = event as? WebSocketCloseRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        startClosing(code: request.code, reason: request.reason, context: context)
        promise?.succeed()
    }

    /// Sends our close frame, and cuts the connection if the client has not answered within
    /// `closeTimeout` (a client that does not read never will).
    private func startClosing(code: WebSocketErrorCode, reason: String?, context: ChannelHandlerContext) {
        guard case .open = state else { return }
        state = .closing
        cancelPing()
        writeClose(code: code, reason: reason, context: context).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: settings.closeTimeout) {
            context.close(promise: nil)
        }
    }

    private func writeClose(code: WebSocketErrorCode, reason: String?, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        var payload = context.channel.allocator.buffer(capacity: 2 + (reason?.utf8.count ?? 0))
        payload.write(webSocketErrorCode: code)
        if let reason { payload.writeString(reason) }
        // Straight to the encoder: `write` above drops frames once closing.
        return context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
    }

    // MARK: - Keepalive

    private func schedulePing(context: ChannelHandlerContext) {
        guard let interval = settings.pingInterval else { return }
        nextPing = context.eventLoop.assumeIsolated().scheduleTask(in: interval) {
            self.pingOrDrop(context: context)
        }
    }

    private func pingOrDrop(context: ChannelHandlerContext) {
        guard case .open = state, context.channel.isActive else { return }
        if awaitingPong {
            fail(.goingAway, kind: nil, context: context)
            return
        }
        awaitingPong = true
        var payload = context.channel.allocator.buffer(capacity: 8)
        payload.writeInteger(UInt64.random(in: 0...UInt64.max))
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: payload)), promise: nil)
        schedulePing(context: context)
    }

    private func cancelPing() {
        nextPing?.cancel()
        nextPing = nil
    }
}
