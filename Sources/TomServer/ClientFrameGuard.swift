import NIOCore
import NIOWebSocket

/// Frame-level rules for an upgraded legacy client, enforced on its event loop right after
/// the frame decoder:
/// - RFC 6455 §5.1: a client frame that is not masked closes the connection with 1002
///   (NIOWebSocket decodes such frames without complaint);
/// - keepalive: a ping every `pingInterval`; a client that has not answered the previous
///   ping by then is closed with 1001. An event-loop timer per connection costs far less
///   memory than a sleeping task per connection (HummingbirdWebSocket's auto-ping).
///
/// HummingbirdWebSocket builds the upgraded pipeline itself, so the guard is installed when
/// the connection's handler starts, a moment after the upgrade: frames that a client sends
/// in that first instant are decoded without the mask check (they are still size- and
/// UTF-8-checked).
final class ClientFrameGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let pingInterval: TimeAmount
    private var awaitingPong = false
    private var closing = false
    private var nextPing: Scheduled<Void>?

    init(pingInterval: TimeAmount) {
        self.pingInterval = pingInterval
    }

    func handlerAdded(context: ChannelHandlerContext) {
        schedulePing(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        nextPing?.cancel()
        nextPing = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        nextPing?.cancel()
        nextPing = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        guard frame.maskKey != nil else {
            close(context: context, code: .protocolError)
            return
        }
        if frame.opcode == .pong { awaitingPong = false }
        context.fireChannelRead(data)
    }

    private func schedulePing(context: ChannelHandlerContext) {
        nextPing = context.eventLoop.assumeIsolated().scheduleTask(in: pingInterval) {
            self.pingOrDrop(context: context)
        }
    }

    private func pingOrDrop(context: ChannelHandlerContext) {
        guard context.channel.isActive, !closing else { return }
        if awaitingPong {
            close(context: context, code: .goingAway)
            return
        }
        awaitingPong = true
        var payload = context.channel.allocator.buffer(capacity: 8)
        payload.writeInteger(UInt64.random(in: 0...UInt64.max))
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: payload)), promise: nil)
        schedulePing(context: context)
    }

    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        closing = true
        nextPing?.cancel()
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    /// Installs the guard after the WebSocket frame decoder of an upgraded channel.
    static func install(on channel: any Channel, pingInterval: Duration) async throws {
        let interval = TimeAmount.nanoseconds(pingInterval.nanoseconds)
        try await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
            try pipeline.addHandler(ClientFrameGuard(pingInterval: interval), position: .after(decoder))
        }.get()
    }
}
