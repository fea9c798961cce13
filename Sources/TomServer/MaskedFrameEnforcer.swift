import NIOCore
import NIOWebSocket

/// RFC 6455 §5.1: a server must close the connection when a client frame is not masked.
/// NIOWebSocket decodes such frames without complaint, so this handler sits right after the
/// frame decoder and answers them with close 1002.
///
/// HummingbirdWebSocket builds the upgraded pipeline itself, so the handler is installed when
/// the connection's handler starts, a moment after the upgrade: frames that a client sends in
/// that first instant are decoded without the check (they are still size- and UTF-8-checked).
final class MaskedFrameEnforcer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        guard frame.maskKey != nil else {
            failed = true
            var payload = context.channel.allocator.buffer(capacity: 2)
            payload.write(webSocketErrorCode: .protocolError)
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        context.fireChannelRead(data)
    }

    /// Installs the enforcer after the WebSocket frame decoder of an upgraded channel.
    static func install(on channel: any Channel) async throws {
        try await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
            try pipeline.addHandler(MaskedFrameEnforcer(), position: .after(decoder))
        }.get()
    }
}
