import NIOCore
import NIOWebSocket

/// The client side of RFC 6455 on top of decoded frames: answers pings, runs the close
/// handshake, reassembles messages and queues them as `WebSocketEvent`s for
/// `WebSocketConnection`, pausing socket reads while the consumer lags behind.
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
            case .message(let event):
                enqueue(event)
            case .incomplete:
                break
            case .violation(let code, let detail):
                failConnection(code, detail)
            }
        default:
            failConnection(.protocolError, "reserved opcode \(frame.opcode)")
        }
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
        guard waiter == nil else {
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
        inbox.finish(throwing: WebSocketClientError.protocolViolation(code: UInt16(webSocketErrorCode: code), detail: detail))
        deliverToWaiter()
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
            inbox.append(.closed(code: nil, reason: nil))
        }
        deliverToWaiter()
    }

    private func enqueue(_ event: WebSocketEvent) {
        inbox.append(event)
        deliverToWaiter()
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
