import NIOCore
import NIOWebSocket

/// The client side of RFC 6455 on top of decoded frames: answers pings, runs the close
/// handshake, reassembles messages and queues them as `WebSocketEvent`s for
/// `WebSocketConnection`, pausing socket reads while the consumer lags behind. Once a
/// `WebSocketMessageHandler` is installed, messages go to it directly instead.
///
/// Everything here runs on the channel's event loop; `WebSocketConnection` reaches it
/// through `NIOLoopBound`, so no locks are needed.
final class WebSocketFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How long the server gets to answer our close frame before we drop TCP ourselves.
    static let closeHandshakeGrace: TimeAmount = .seconds(3)

    private struct Waiter {
        let id: UInt64
        let maxCount: Int
        let promise: EventLoopPromise<[WebSocketEvent]>
        var timeout: Scheduled<Void>?
    }

    private let eventLoop: any EventLoop
    private var assembler: MessageAssembler
    private var inbox = EventInbox()
    private var waiter: Waiter?
    private var lastWaiterID: UInt64 = 0
    private var readIsPending = false
    private var closeFrameSent = false
    private var closeFrameReceived = false
    private var forcedClose: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Where messages go instead of the inbox, once installed; released after its `webSocketEnded`.
    private var messageHandler: (any WebSocketMessageHandler)?
    /// Pre-encoded frames are written from here, below the frame encoder.
    private var encoderContext: ChannelHandlerContext?

    init(eventLoop: any EventLoop, maxMessageSize: Int) {
        self.eventLoop = eventLoop
        self.assembler = MessageAssembler(maxMessageSize: maxMessageSize)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionEnded()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionEnded()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After the server's close frame (or our own verdict) nothing else counts.
        guard !closeFrameReceived, !inbox.isFinished else { return }
        let frame = unwrapInboundIn(data)
        guard !(frame.rsv1 || frame.rsv2 || frame.rsv3) else {
            return failConnection(.protocolError, "reserved bits set without a negotiated extension")
        }
        switch frame.opcode {
        case .ping:
            guard !closeFrameSent else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            receivedCloseFrame(frame, context: context)
        case .text, .binary, .continuation:
            switch assembler.append(frame) {
            case .message(let opcode, let payload):
                if let messageHandler {
                    messageHandler.webSocketReceived(payload, isText: opcode == .text)
                    return
                }
                switch MessageAssembler.event(opcode: opcode, payload: payload) {
                case .success(let event):
                    enqueue(event)
                case .failure(let violation):
                    failConnection(violation.code, violation.detail)
                }
            case .incomplete:
                break
            case .violation(let code, let detail):
                failConnection(code, detail)
            }
        default:
            failConnection(.protocolError, "reserved opcode \(frame.opcode)")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        messageHandler?.webSocketReadComplete()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let decodingError = error as? NIOWebSocketError {
            let code: WebSocketErrorCode =
                decodingError == .invalidFrameLength ? .messageTooLarge : .protocolError
            failConnection(code, "undecodable frame: \(decodingError)")
        } else {
            // I/O errors mean the connection is gone; channelInactive reports it as an abnormal closure.
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if unwrapOutboundIn(data).opcode == .connectionClose, !closeFrameSent {
            closeFrameSent = true
            scheduleForcedClose()
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if inbox.isAboveHighWatermark {
            readIsPending = true
        } else {
            context.read()
        }
    }

    // MARK: Consumer side (called on the event loop by WebSocketConnection)

    func receive(maxCount: Int, timeout: TimeAmount?, promise: EventLoopPromise<[WebSocketEvent]>) {
        guard waiter == nil, messageHandler == nil else {
            return promise.fail(WebSocketClientError.concurrentReceive)
        }
        lastWaiterID += 1
        let id = lastWaiterID
        waiter = Waiter(id: id, maxCount: max(1, maxCount), promise: promise)
        deliverToWaiter()
        if let timeout, waiter?.id == id {
            waiter?.timeout = eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.expireWaiter(id: id)
            }
        }
    }

    func cancelReceive() {
        guard let waiter else { return }
        self.waiter = nil
        waiter.timeout?.cancel()
        waiter.promise.fail(CancellationError())
    }

    /// From now on, messages go to `handler` as they arrive; whatever was queued goes first.
    /// A receive still waiting fails with `concurrentReceive`.
    func deliverMessages(to handler: any WebSocketMessageHandler) {
        if let waiter {
            self.waiter = nil
            waiter.timeout?.cancel()
            waiter.promise.fail(WebSocketClientError.concurrentReceive)
        }
        messageHandler = handler
        for event in inbox.take(upTo: Int.max) {
            switch event {
            case .text(let text):
                handler.webSocketReceived(ByteBuffer(string: text), isText: true)
            case .binary(let payload):
                handler.webSocketReceived(payload, isText: false)
            case .closed:
                endMessageHandler(event, error: nil)
            }
        }
        if inbox.isFinished {
            endMessageHandler(.closed(code: nil, reason: nil), error: inbox.failure)
        }
        resumeReadingIfDrained()
    }

    /// Queues complete frames (see `MaskedFrameEncoder`) without flushing; false once the
    /// connection is closing or closed, when nothing more may be sent.
    func writeEncodedFrames(_ frames: ByteBuffer) -> Bool {
        guard !closeFrameSent, let encoderContext = encoderContext ?? findEncoderContext() else { return false }
        encoderContext.write(WebSocketFrameEncoder.wrapOutboundOut(frames), promise: nil)
        return true
    }

    func flushEncodedFrames() {
        (encoderContext ?? findEncoderContext())?.flush()
    }

    private func findEncoderContext() -> ChannelHandlerContext? {
        encoderContext = try? context?.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        return encoderContext
    }

    /// Writes bytes straight to the socket, below the frame encoder, for deliberately broken frames.
    func writeRawBytes(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>) {
        guard let context,
            let encoderContext = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        else {
            return promise.fail(ChannelError.ioOnClosedChannel)
        }
        encoderContext.writeAndFlush(WebSocketFrameEncoder.wrapOutboundOut(bytes), promise: promise)
    }

    // MARK: Internals

    private func receivedCloseFrame(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        var payload = frame.unmaskedData
        guard payload.readableBytes != 1 else {
            return failConnection(.protocolError, "close frame with a one-byte payload")
        }
        let code = payload.readWebSocketErrorCode() ?? .unknown(1005)
        let reason = payload.readableBytes > 0 ? String(decoding: payload.readableBytesView, as: UTF8.self) : nil
        closeFrameReceived = true
        enqueue(.closed(code: code, reason: reason))

        guard !closeFrameSent else {
            context.close(promise: nil)
            return
        }
        // Echo the status code, as RFC 6455 §5.5.1 suggests, then hang up.
        closeFrameSent = true
        var echoed = context.channel.allocator.buffer(capacity: 2)
        if code != .unknown(1005) {
            echoed.write(webSocketErrorCode: code)
        }
        let echo = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echoed)
        context.writeAndFlush(wrapOutboundOut(echo)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// The server broke the protocol: tell it why (as a client must, RFC 6455 §7.1.7) and hang up.
    private func failConnection(_ code: WebSocketErrorCode, _ detail: String) {
        guard !inbox.isFinished else { return }
        let violation = WebSocketClientError.protocolViolation(code: UInt16(webSocketErrorCode: code), detail: detail)
        inbox.finish(throwing: violation)
        deliverToWaiter()
        endMessageHandler(.closed(code: nil, reason: nil), error: violation)
        guard let context else { return }
        guard !closeFrameSent else {
            context.close(promise: nil)
            return
        }
        closeFrameSent = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)
        context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func connectionEnded() {
        forcedClose?.cancel()
        forcedClose = nil
        if !inbox.isFinished {
            enqueue(.closed(code: nil, reason: nil))
        }
        deliverToWaiter()
        encoderContext = nil
    }

    private func enqueue(_ event: WebSocketEvent) {
        inbox.append(event)
        guard messageHandler == nil else {
            // With a handler only the end is queued (it marks the inbox finished).
            if event.isClosed { endMessageHandler(event, error: nil) }
            return
        }
        deliverToWaiter()
    }

    private func endMessageHandler(_ closed: WebSocketEvent, error: (any Error)?) {
        guard let messageHandler else { return }
        // Released first, so the handler may drop its last reference to the connection.
        self.messageHandler = nil
        _ = inbox.take(upTo: Int.max)
        messageHandler.webSocketEnded(closed, error: error)
    }

    private func deliverToWaiter() {
        guard let waiter else { return }
        if !inbox.isEmpty {
            self.waiter = nil
            waiter.timeout?.cancel()
            waiter.promise.succeed(inbox.take(upTo: waiter.maxCount))
            resumeReadingIfDrained()
        } else if inbox.isFinished {
            self.waiter = nil
            waiter.timeout?.cancel()
            if let failure = inbox.failure {
                waiter.promise.fail(failure)
            } else {
                waiter.promise.succeed([])
            }
        }
    }

    private func expireWaiter(id: UInt64) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.promise.fail(WebSocketClientError.receiveTimedOut)
    }

    private func resumeReadingIfDrained() {
        guard readIsPending, inbox.isAtOrBelowLowWatermark else { return }
        readIsPending = false
        context?.read()
    }

    private func scheduleForcedClose() {
        forcedClose = eventLoop.assumeIsolated().scheduleTask(in: Self.closeHandshakeGrace) {
            self.context?.close(promise: nil)
        }
    }
}
