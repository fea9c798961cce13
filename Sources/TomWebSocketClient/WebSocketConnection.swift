import NIOCore
import NIOWebSocket

/// An open client WebSocket connection. Copies share the same connection; when the last
/// copy goes away the socket is closed, so a forgotten connection cannot leak.
///
/// Receive with `for try await event in connection.events`, `next()`, `next(timeout:)` or
/// `nextBatch(maxCount:)`, from one task at a time. A timed-out or cancelled receive does not
/// disturb the connection: events keep queuing and the next receive gets them. For high
/// message rates, `deliverMessages(to:)` hands messages to a handler on the event loop instead
/// (WebSocketConnection+EventLoop.swift).
public struct WebSocketConnection: Sendable {
    /// The subprotocol the server picked from the offered ones (`Sec-WebSocket-Protocol`), if any.
    public let subprotocol: String?
    /// The headers of the server's `101 Switching Protocols` response.
    public let responseHeaders: HeaderFields

    let lifetime: ConnectionLifetime

    init(channel: any Channel, handler: NIOLoopBound<WebSocketFrameHandler>, responseHeaders: HeaderFields) {
        self.lifetime = ConnectionLifetime(channel: channel, handler: handler)
        self.responseHeaders = responseHeaders
        self.subprotocol = responseHeaders.first("Sec-WebSocket-Protocol")
    }

    var channel: any Channel { lifetime.channel }

    /// True until the TCP connection has closed.
    public var isOpen: Bool { channel.isActive }

    // MARK: Sending

    /// Sends one masked text frame.
    public func send(text: String) async throws {
        try await sendMasked(opcode: .text, payload: channel.allocator.buffer(string: text))
    }

    /// Sends several masked text frames with a single flush (one hop to the event loop and
    /// usually one syscall), for high message rates. Returns once all are written.
    public func send(texts: [String]) async throws {
        guard !texts.isEmpty else { return }
        let allocator = channel.allocator
        let frames = texts.map {
            WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: allocator.buffer(string: $0))
        }
        let channel = self.channel
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            for frame in frames.dropLast() {
                channel.write(frame, promise: nil)
            }
            channel.writeAndFlush(frames[frames.count - 1], promise: written)
        }
        try await written.futureResult.get()
    }

    /// Sends one masked binary frame.
    public func send(binary: ByteBuffer) async throws {
        try await sendMasked(opcode: .binary, payload: binary)
    }

    /// Sends one masked binary frame.
    public func send(binary bytes: [UInt8]) async throws {
        try await sendMasked(opcode: .binary, payload: channel.allocator.buffer(bytes: bytes))
    }

    /// Sends one binary message as masked frames of at most `fragmentSize` bytes each (the
    /// first binary, the rest continuations) under one flush: a message larger than the
    /// server's frame limit still passes when its message limit allows it.
    public func send(binary bytes: [UInt8], fragmentSize: Int) async throws {
        guard fragmentSize > 0 else { throw WebSocketClientError.invalidArgument("fragmentSize \(fragmentSize)") }
        let allocator = channel.allocator
        let starts = Array(stride(from: 0, to: max(bytes.count, 1), by: fragmentSize))
        let frames = starts.map { start in
            let end = min(start + fragmentSize, bytes.count)
            return WebSocketFrame(
                fin: end == bytes.count, opcode: start == 0 ? .binary : .continuation, maskKey: .random(),
                data: allocator.buffer(bytes: bytes[start..<end]))
        }
        let channel = self.channel
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            for frame in frames.dropLast() {
                channel.write(frame, promise: nil)
            }
            channel.writeAndFlush(frames[frames.count - 1], promise: written)
        }
        try await written.futureResult.get()
    }

    /// Sends one masked ping; the server's pong is consumed silently.
    public func ping(_ payload: [UInt8] = []) async throws {
        try await sendMasked(opcode: .ping, payload: channel.allocator.buffer(bytes: payload))
    }

    /// Sends `frame` exactly as given (masked only if it has a `maskKey`), for hostile tests:
    /// reserved opcodes, invalid UTF-8, unmasked or fragmented frames, RSV bits...
    public func sendRaw(frame: WebSocketFrame) async throws {
        try await channel.writeAndFlush(frame).get()
    }

    /// Builds and sends one frame from plain values, for tests that do not import NIOWebSocket.
    /// `opcode` is the 4-bit wire opcode (0x3...0x7 and 0xB...0xF are reserved).
    public func sendRaw(
        opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv1: Bool = false
    ) async throws {
        guard let wireOpcode = WebSocketOpcode(encodedWebSocketOpcode: opcode) else {
            throw WebSocketClientError.invalidArgument("opcode \(opcode) does not fit in 4 bits")
        }
        let frame = WebSocketFrame(
            fin: fin, rsv1: rsv1, opcode: wireOpcode, maskKey: masked ? .random() : nil,
            data: channel.allocator.buffer(bytes: payload))
        try await sendRaw(frame: frame)
    }

    /// Writes bytes straight to the socket with no framing at all (truncated headers, absurd lengths...).
    public func sendRaw(bytes: [UInt8]) async throws {
        let buffer = channel.allocator.buffer(bytes: bytes)
        let handler = lifetime.handler
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            handler.value.writeRawBytes(buffer, promise: promise)
        }
        try await promise.futureResult.get()
    }

    /// Starts the close handshake with `code` and waits (a few seconds at most) for the
    /// server to finish it. The server's answering close frame still arrives as `.closed`.
    public func close(code: WebSocketErrorCode = .normalClosure, reason: String = "") async throws {
        guard channel.isActive else { return }
        var payload = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.write(webSocketErrorCode: code)
        payload.writeString(reason)
        try? await sendMasked(opcode: .connectionClose, payload: payload)
        try await channel.closeFuture.get()
    }

    /// Closes the TCP connection at once, without a close handshake.
    public func abort() async {
        try? await channel.close()
    }

    private func sendMasked(opcode: WebSocketOpcode, payload: ByteBuffer) async throws {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: payload)
        try await channel.writeAndFlush(frame).get()
    }

    // MARK: Receiving

    /// All events in arrival order; ends after `.closed`, throws after a protocol violation.
    public var events: WebSocketEvents { WebSocketEvents(connection: self) }

    /// The next event, or nil once the stream has ended (after `.closed` was delivered).
    public func next() async throws -> WebSocketEvent? {
        try await receive(maxCount: 1, timeout: nil).first
    }

    /// The next event, waiting at most `timeout`; throws `WebSocketClientError.receiveTimedOut`
    /// when nothing came, leaving the connection untouched.
    public func next(timeout: Duration) async throws -> WebSocketEvent? {
        try await receive(maxCount: 1, timeout: TimeAmount(timeout)).first
    }

    /// Everything already queued (at most `maxCount`), waiting for at least one event.
    /// Empty once the stream has ended. Cheaper than `next()` for high message rates.
    public func nextBatch(maxCount: Int = 256) async throws -> [WebSocketEvent] {
        try await receive(maxCount: maxCount, timeout: nil)
    }

    private func receive(maxCount: Int, timeout: TimeAmount?) async throws -> [WebSocketEvent] {
        try Task.checkCancellation()
        let eventLoop = channel.eventLoop
        let handler = lifetime.handler
        let promise = eventLoop.makePromise(of: [WebSocketEvent].self)
        return try await withTaskCancellationHandler {
            eventLoop.execute {
                handler.value.receive(maxCount: maxCount, timeout: timeout, promise: promise)
            }
            return try await promise.futureResult.get()
        } onCancel: {
            eventLoop.execute {
                handler.value.cancelReceive()
            }
        }
    }
}

/// Closes the socket when the last `WebSocketConnection` copy is released.
final class ConnectionLifetime: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<WebSocketFrameHandler>

    init(channel: any Channel, handler: NIOLoopBound<WebSocketFrameHandler>) {
        self.channel = channel
        self.handler = handler
    }

    deinit {
        channel.close(promise: nil)
    }
}

