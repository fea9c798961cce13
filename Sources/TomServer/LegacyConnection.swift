import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import TomSignaling

/// One legacy client's WebSocket: a reader that decodes and hands messages to the hub, while
/// `ChannelOutboxWriter` drains the client's outbox into the socket on the event loop. The
/// reader always runs, so pongs are seen and dead peers detected.
struct LegacyConnection {
    let session: ClientSession
    let channel: any Channel
    let hubSlot: HubSlot
    let metrics: SignalingMetrics
    let settings: ServerSettings
    let live: LiveConnections
    let logger: Logger
    /// The authenticated register's state, and whether the client asked for it on upgrade.
    var registerAuth: RegisterAuthenticator
    var clientAskedForAuth = false

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        try await ClientFrameGuard.install(on: channel, pingInterval: settings.pingInterval)
        try await ChannelOutboxWriter(outbox: session.outbox, channel: channel).attach { [self] in
            metrics.backpressureClosed.increment()
            metrics.countError("backpressure")
            logger.info("closing slow reader", metadata: ["limit_bytes": "\(session.outbox.limitBytes)"])
            Task { await close(outbound, code: .policyViolation, reason: "outbound queue full") }
        }
        // Registered only once nothing above can fail, so `finish` always removes it.
        await live.add(session.id) { code, reason in
            await close(outbound, code: code, reason: reason)
        }
        logger.debug("client connected")
        defer { logger.debug("client disconnected") }
        do {
            try await readMessages(inbound, outbound: outbound)
        } catch {
            await finish()
            throw error
        }
        await finish()
    }

    private func finish() async {
        session.outbox.shut()
        await hubSlot.current.disconnected(session)
        await live.remove(session.id)
    }

    private func readMessages(_ inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        var limiter = MessageRateLimiter(messageRate: settings.messageRate, byteRate: settings.byteRate, registerRate: settings.registerRate)
        var closing = false
        var registerAuth = registerAuth
        registerAuth.open(session, clientAsked: clientAskedForAuth, metrics: metrics)
        do {
            for try await message in inbound.messages(maxSize: settings.maxMessageBytes) {
                // After a rate-limit close, the rest is read and dropped until the close
                // handshake ends (or the close timeout cuts the connection).
                guard !closing else { continue }
                if let violation = limiter.admitMessage(size: message.size, now: .now) {
                    closing = true
                    await closeForRate(violation, outbound: outbound)
                    continue
                }
                let text: ByteBuffer
                switch message {
                case .text(let string):
                    text = ByteBuffer(string: string)
                case .binary(let bytes):
                    // The original read binary frames as UTF-8 text, replacing invalid sequences.
                    text = Self.repairingUTF8(bytes)
                }
                let request = LegacyRequest.decode(text)
                metrics.countIn(type: request.typeName, bytes: text.readableBytes)
                if let violation = limiter.admit(request, now: .now) {
                    closing = true
                    await closeForRate(violation, outbound: outbound)
                    continue
                }
                if case .rejected(let error) = request {
                    session.reply(error, metrics: metrics)
                } else if case .register(let participant) = request,
                          !registerAuth.admit(participant, text: text, session: session, metrics: metrics) {
                    continue
                } else {
                    await hubSlot.current.receive(request, from: session)
                }
            }
        } catch {
            metrics.countError(Self.errorKind(error))
            logger.debug("connection failed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func closeForRate(_ violation: MessageRateLimiter.Violation, outbound: WebSocketOutboundWriter) async {
        metrics.countError(violation.metricKind)
        logger.info("closing client over its rate limit", metadata: ["limit": "\(violation.metricKind)"])
        await close(outbound, code: .policyViolation, reason: violation.closeReason)
    }

    /// Sends a close frame, and cuts the TCP connection if the client has not completed the
    /// closing handshake in time (a client that does not read never will).
    private func close(_ outbound: WebSocketOutboundWriter, code: WebSocketErrorCode, reason: String) async {
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .nanoseconds(settings.closeTimeout.nanoseconds)) {
            channel.close(promise: nil)
        }
        try? await outbound.close(code, reason: reason)
    }

    static func repairingUTF8(_ bytes: ByteBuffer) -> ByteBuffer {
        let view = bytes.readableBytesView
        if String(validating: view, as: UTF8.self) != nil { return bytes }
        return ByteBuffer(string: String(decoding: view, as: UTF8.self))
    }

    static func errorKind(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("messageTooLarge") || text.contains("invalidFrameLength") { return "oversize" }
        return "protocol"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
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

extension WebSocketMessage {
    /// Its payload length, charged to the sender's byte rate.
    var size: Int {
        switch self {
        case .text(let string): string.utf8.count
        case .binary(let bytes): bytes.readableBytes
        }
    }
}
