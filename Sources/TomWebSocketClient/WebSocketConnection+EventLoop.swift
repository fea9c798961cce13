import NIOCore

/// The lean path, for load generators: messages handled and frames written on the
/// connection's event loop, with no task, promise or `String` per message.
/// Every method here must be called on `eventLoop` (they trap elsewhere).
extension WebSocketConnection {
    /// The event loop that runs this connection's I/O.
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// The channel's allocator, for the buffers passed to `writeEncodedFrames(_:)`.
    public var allocator: ByteBufferAllocator { channel.allocator }

    /// Hands every message from now on (and any already queued) to `handler`, synchronously,
    /// then tells it how the connection ended; the connection holds the handler until then.
    /// The async receive methods fail with `WebSocketClientError.concurrentReceive` meanwhile.
    /// Pings, pongs and the close handshake are still answered by the connection.
    public func deliverMessages(to handler: any WebSocketMessageHandler) {
        lifetime.handler.value.deliverMessages(to: handler)
    }

    /// Queues frames that `MaskedFrameEncoder` built (any number in one buffer) for the socket,
    /// without flushing. Returns false, writing nothing, once a close frame was sent or the
    /// connection has gone.
    @discardableResult
    public func writeEncodedFrames(_ frames: ByteBuffer) -> Bool {
        lifetime.handler.value.writeEncodedFrames(frames)
    }

    /// Sends everything queued by `writeEncodedFrames(_:)`.
    public func flushEncodedFrames() {
        lifetime.handler.value.flushEncodedFrames()
    }
}
