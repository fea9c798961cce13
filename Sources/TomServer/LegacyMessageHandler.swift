import Logging
import NIOCore
import NIOWebSocket
import TomSignaling

/// What a legacy connection's handler needs from the server; built when the upgrade is
/// accepted, turned into a `LegacyMessageHandler` on the connection's event loop.
struct LegacyConnectionPlan: Sendable {
    let session: ClientSession
    let server: SignalingServer
    let logger: Logger
    /// Whether the client offered the `tom-auth.v1` subprotocol on upgrade.
    let clientAskedForAuth: Bool
}

/// One legacy client's WebSocket, entirely on its event loop: whole messages from
/// `WebSocketConnectionHandler` are rate-limited, decoded and put in the hub's queue
/// (`HubInbox`), and the client's outbox drains into the socket (`ChannelOutboxWriter`).
/// No task waits per connection, so an idle client costs only its channel and these objects.
final class LegacyMessageHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketDataMessage

    private let plan: LegacyConnectionPlan
    private var limiter: MessageRateLimiter
    private var registerAuth: RegisterAuthenticator
    private var closing = false
    private var finished = false

    private var session: ClientSession { plan.session }
    private var server: SignalingServer { plan.server }
    private var metrics: SignalingMetrics { plan.server.metrics }

    init(plan: LegacyConnectionPlan) {
        self.plan = plan
        let settings = plan.server.settings
        self.limiter = MessageRateLimiter(messageRate: settings.messageRate, byteRate: settings.byteRate, registerRate: settings.registerRate)
        self.registerAuth = RegisterAuthenticator(
            required: settings.requireAuth,
            serverKey: plan.server.registerAuthServerKey
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let writer = ChannelOutboxWriter(outbox: session.outbox, channel: channel)
        let logger = plan.logger
        let limitBytes = session.outbox.limitBytes
        let metrics = self.metrics
        session.outbox.attach(
            wake: { channel.eventLoop.execute { writer.drain() } },
            onOverflow: {
                metrics.backpressureClosed.increment()
                metrics.countError("backpressure")
                logger.info("closing slow reader", metadata: ["limit_bytes": "\(limitBytes)"])
                channel.triggerUserOutboundEvent(WebSocketCloseRequest(code: .policyViolation, reason: "outbound queue full"), promise: nil)
            }
        )
        server.live.add(session.id) { code, reason in
            channel.triggerUserOutboundEvent(WebSocketCloseRequest(code: code, reason: reason), promise: nil)
        }
        registerAuth.open(session, clientAsked: plan.clientAskedForAuth, metrics: metrics)
        plan.logger.debug("client connected")
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            ChannelOutboxWriter(outbox: session.outbox, channel: context.channel).drain()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        session.outbox.shut()
        server.hubInbox.submit(.disconnected(session))
        server.live.remove(session.id)
        plan.logger.debug("client disconnected")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a rate-limit close, the rest is read and dropped until the close handshake
        // ends (or the close timeout cuts the connection).
        guard !closing else { return }
        let message = unwrapInboundIn(data)
        let now = ContinuousClock.now
        if let violation = limiter.admitMessage(size: message.bytes.readableBytes, now: now) {
            close(for: violation, context: context)
            return
        }
        // The original read binary frames as UTF-8 text, replacing invalid sequences.
        let text = message.kind == .text || message.isASCII ? message.bytes : Self.repairingUTF8(message.bytes)
        let request = LegacyRequest.decode(text)
        metrics.countIn(type: request.typeName, bytes: text.readableBytes)
        if let violation = limiter.admit(request, now: now) {
            close(for: violation, context: context)
            return
        }
        if case .rejected(let error) = request {
            session.reply(error, metrics: metrics)
            return
        }
        if case .register(let participant) = request,
           !registerAuth.admit(participant, text: text, session: session, metrics: metrics) {
            return
        }
        guard server.hubInbox.submit(.request(request, session)) else { return }
        // The hub is behind: stop reading this client until it catches up.
        let channel = context.channel
        let inbox = server.hubInbox
        channel.setOption(ChannelOptions.autoRead, value: false).whenSuccess {
            inbox.resumeWhenDrained {
                _ = channel.setOption(ChannelOptions.autoRead, value: true)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // WebSocketConnectionHandler has answered it; nothing more to do here.
    }

    private func close(for violation: MessageRateLimiter.Violation, context: ChannelHandlerContext) {
        closing = true
        metrics.countError(violation.metricKind)
        plan.logger.info("closing client over its rate limit", metadata: ["limit": "\(violation.metricKind)"])
        context.triggerUserOutboundEvent(WebSocketCloseRequest(code: .policyViolation, reason: violation.closeReason), promise: nil)
    }

    static func repairingUTF8(_ bytes: ByteBuffer) -> ByteBuffer {
        bytes.isValidUTF8 ? bytes : ByteBuffer(string: String(decoding: bytes.readableBytesView, as: UTF8.self))
    }
}

extension LegacyRequest {
    /// The `type` label for metrics.
    var typeName: String {
        switch self {
        case .register: "register"
        case .signal: "signal"
        case .heartbeat: "heartbeat"
        case .roleAssign: "role-assign"
        case .ignored, .rejected: "other"
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var timeAmount: TimeAmount { .nanoseconds(nanoseconds) }
}
