import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// What an accepted WebSocket upgrade becomes, decided from the request head.
struct WebSocketUpgrade: Sendable {
    /// Extra headers of the 101 answer (the echoed subprotocol).
    var headers: HTTPHeaders
    /// Adds the connection's handlers after NIOWebSocket's frame codec, on its event loop.
    /// Returns the work left for a task, if any: nil when channel handlers serve it all.
    var install: @Sendable (any Channel) throws -> (@Sendable () async -> Void)?
}

/// One TCP connection of the front end: HTTP/1.1 answered by Hummingbird's responder, or a
/// WebSocket upgrade whose connection is then served by channel handlers.
///
/// HummingbirdWebSocket's own channel runs every WebSocket in a task, and an idle task's
/// suspended frames were two thirds of an idle connection's memory (Docs/performance.md),
/// with an async-stream hop per message. Here the upgrade installs handlers instead
/// (`WebSocketConnectionHandler`, then the legacy protocol's `LegacyMessageHandler`), and
/// the connection's task returns at once. Only routed paths (gateway links, a few per node)
/// keep a task, reading whole messages through an `NIOAsyncChannel`.
struct HTTPWebSocketChannel: ServerChildChannel, HTTPChannelHandler {
    enum Outcome: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case webSocket(run: (@Sendable () async -> Void)?)
    }

    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
    }

    struct NoUpgradeDecided: Error {}

    let responder: HTTPChannelHandler.Responder
    let http1: HTTP1Channel.Configuration
    /// The largest WebSocket frame the decoder accepts.
    let maxFrameBytes: Int
    /// The upgrade to perform for a request head, or nil to refuse it (400).
    let upgrade: @Sendable (HTTPRequestHead, any Channel, Logger) -> WebSocketUpgrade?

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        http1: HTTP1Channel.Configuration,
        maxFrameBytes: Int,
        upgrade: @escaping @Sendable (HTTPRequestHead, any Channel, Logger) -> WebSocketUpgrade?
    ) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.http1 = http1
        self.maxFrameBytes = maxFrameBytes
        self.upgrade = upgrade
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let accepted = NIOLoopBoundBox<WebSocketUpgrade?>(nil, eventLoop: channel.eventLoop)
            let attempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: maxFrameBytes,
                // WebSocketConnectionHandler answers frame errors with the right close code.
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    attempted.value = true
                    accepted.value = upgrade(head, channel, logger)
                    return channel.eventLoop.makeSucceededFuture(accepted.value?.headers)
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let decided = accepted.value else { throw NoUpgradeDecided() }
                        accepted.value = nil
                        return .webSocket(run: try decided.install(channel))
                    }
                }
            )
            let serverUpgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try pipeline.addHandlers(http1.additionalChannelHandlers())
                        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        return attempted.value ? .failedUpgrade(asyncChannel) : .http(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: serverUpgrade)
            configuration.enablePipelining = false  // NIOAsyncChannel serialises requests
            configuration.enableErrorHandling = false  // Hummingbird answers HTTP errors
            configuration.enableResponseHeaderValidation = false  // HTTPTypes validates
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(outcome: outcome, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .http(let asyncChannel):
                await handleHTTP(asyncChannel: asyncChannel, logger: logger)
            case .failedUpgrade(let asyncChannel):
                logger.debug("WebSocket upgrade refused")
                await Self.answerFailedUpgrade(asyncChannel, logger: logger)
            case .webSocket(let run):
                await run?()
            }
        } catch {
            logger.debug("connection ended before it was served", metadata: ["error": "\(error)"])
        }
    }

    /// 400 and close: the upgrade was asked for but refused.
    private static func answerFailedUpgrade(_ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger) async {
        do {
            try await asyncChannel.executeThenClose { _, outbound in
                let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
                try await outbound.write(contentsOf: [.head(head), .end(nil)])
            }
        } catch {
            logger.trace("failed-upgrade answer not written", metadata: ["error": "\(error)"])
        }
    }

    /// NIO upgrades only a connection's first request. A later request asking for a
    /// WebSocket is sent back to its own URL on a fresh connection (307, `connection:
    /// close`), where the upgrade can happen; every other request goes to `responder`.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectedUpgrade: Error {}
        return { request, responseWriter, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                try await responder(request, responseWriter, channel)
                return
            }
            var location = request.uri.path
            if let query = request.uri.query { location += "?\(query)" }
            let response = HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location])
            try await responseWriter.writeResponse(response)
            throw RedirectedUpgrade()
        }
    }
}
