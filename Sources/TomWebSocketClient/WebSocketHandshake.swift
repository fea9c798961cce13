import NIOCore
import NIOHTTP1
import NIOWebSocket

/// How an upgrade attempt ended.
enum HandshakeResult: Sendable {
    case upgraded(any Channel, HTTPResponseHead, NIOLoopBound<WebSocketFrameHandler>)
    case rejected(HTTPResponse)
}

/// Sets up the HTTP/1.1 upgrade pipeline on a freshly connected channel.
enum WebSocketHandshake {
    /// A refused upgrade's body is only kept for diagnostics.
    static let maxRejectionBodyBytes = 64 * 1024

    /// What `notUpgradingCompletionHandler` can return: it must not wait for the response body,
    /// because NIO only forwards the buffered response to the collector once it returns.
    private enum Negotiation: Sendable {
        case upgraded(HTTPResponseHead, NIOLoopBound<WebSocketFrameHandler>)
        case rejected(EventLoopFuture<HTTPResponse>)
    }

    static func configure(
        channel: any Channel, requestHead: HTTPRequestHead, maxFrameSize: Int, timeout: TimeAmount
    ) throws -> EventLoopFuture<HandshakeResult> {
        // Closing the channel fails whatever stage the handshake is in.
        let timeoutTask = channel.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }

        let upgrader = NIOTypedWebSocketClientUpgrader<Negotiation>(
            maxFrameSize: maxFrameSize,
            // Our frame handler closes with the right code itself and reports the violation.
            enableAutomaticErrorHandling: false,
            upgradePipelineHandler: { channel, responseHead in
                channel.eventLoop.makeCompletedFuture {
                    let handler = WebSocketFrameHandler(eventLoop: channel.eventLoop, maxMessageSize: maxFrameSize)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return .upgraded(responseHead, NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        )
        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Negotiation>(
            upgradeRequestHead: requestHead,
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    let collector = HTTPResponseCollector(
                        eventLoop: channel.eventLoop, maxBodyBytes: maxRejectionBodyBytes)
                    try channel.pipeline.syncOperations.addHandler(collector)
                    return .rejected(collector.response)
                }
            }
        )
        var pipelineConfiguration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
        // Frames the server sends right behind its 101 often share a TCP segment with it;
        // the default would drop them with the HTTP decoder.
        pipelineConfiguration.leftOverBytesStrategy = .forwardBytes
        let negotiation = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
            configuration: pipelineConfiguration
        )

        return negotiation.flatMap { negotiated -> EventLoopFuture<HandshakeResult> in
            switch negotiated {
            case .upgraded(let responseHead, let handler):
                return channel.eventLoop.makeSucceededFuture(.upgraded(channel, responseHead, handler))
            case .rejected(let response):
                return response.map { HandshakeResult.rejected($0) }
                    .always { _ in channel.close(promise: nil) }
            }
        }.always { _ in
            timeoutTask.cancel()
        }
    }
}
