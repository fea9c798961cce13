import NIOCore
import NIOHTTP1

/// Buffers one HTTP response (head and body, up to `maxBodyBytes`) and completes `response`.
/// Used for plain HTTP probes and for upgrade requests the server refused.
final class HTTPResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let response: EventLoopFuture<HTTPResponse>
    private let promise: EventLoopPromise<HTTPResponse>
    private let maxBodyBytes: Int
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(eventLoop: any EventLoop, maxBodyBytes: Int) {
        self.promise = eventLoop.makePromise()
        self.response = promise.futureResult
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
        case .body(var chunk):
            guard body.readableBytes + chunk.readableBytes <= maxBodyBytes else {
                promise.fail(WebSocketClientError.responseTooLarge(limit: maxBodyBytes))
                context.close(promise: nil)
                return
            }
            body.writeBuffer(&chunk)
        case .end:
            guard let head else {
                return promise.fail(WebSocketClientError.incompleteHTTPResponse)
            }
            promise.succeed(HTTPResponse(status: Int(head.status.code), headers: HeaderFields(head.headers), body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A no-op if the response already completed.
        promise.fail(WebSocketClientError.incompleteHTTPResponse)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(WebSocketClientError.incompleteHTTPResponse)
    }
}
