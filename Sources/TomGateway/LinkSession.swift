import Logging
import Synchronization
import TomCrypto
import TomDHT

/// Runs one gateway link from handshake to close: proves our key, checks theirs, admits the
/// link to the hub, then pumps frames both ways with keepalives until either side goes.
public struct LinkSession: Sendable {
    public struct Settings: Sendable {
        public var handshakeTimeout: Duration = .seconds(5)
        public var keepaliveInterval: Duration = .seconds(2)
        /// A link silent this long is dead (the peer sends a keepalive every interval).
        public var silenceLimit: Duration = .seconds(6)
        public var outboxLimitBytes = 32 << 20
        public var maxFrameBytes = LinkMessage.defaultMaxFrameBytes
        public init() {}
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case handshake(String)
        case ownKey
        case refused

        public var description: String {
            switch self {
            case .handshake(let reason): "handshake failed: \(reason)"
            case .ownKey: "the other end is this gateway"
            case .refused: "a link to that gateway already exists"
            }
        }
    }

    public let hub: MeshHub
    public let key: ItemSigningKey
    public let topic: Topic
    public let settings: Settings
    public let logger: Logger

    public init(hub: MeshHub, key: ItemSigningKey, topic: Topic, settings: Settings = Settings(), logger: Logger) {
        self.hub = hub
        self.key = key
        self.topic = topic
        self.settings = settings
        self.logger = logger
    }

    /// The dialling side. Returns the peer's key when the link ends; throws when it never began.
    public func initiate(frames: some AsyncSequence<[UInt8], any Error>, over transport: LinkTransport) async throws -> GatewayKey {
        var frames = frames.makeAsyncIterator()
        let peer = try await withHandshakeDeadline(transport) {
            let nonce = Hashing.randomBytes(LinkHandshake.nonceLength)
            try await transport.send(LinkMessage.hello(key: key.publicKey, nonce: nonce, topic: topic.hash).encoded)
            guard case .welcome(let theirKey, let theirNonce, let signature) = try await next(&frames) else {
                throw Failure.handshake("expected welcome")
            }
            let handshake = LinkHandshake(topic: topic.hash, initiatorKey: key.publicKey, initiatorNonce: nonce,
                                          acceptorKey: theirKey, acceptorNonce: theirNonce)
            guard handshake.verifyWelcome(signature) else { throw Failure.handshake("welcome signature does not verify") }
            try await transport.send(LinkMessage.proof(signature: key.sign(handshake.proofTranscript)).encoded)
            return GatewayKey(theirKey)!
        }
        return try await run(peer: peer, weInitiated: true, frames: &frames, transport: transport)
    }

    /// The answering side.
    public func accept(frames: some AsyncSequence<[UInt8], any Error>, over transport: LinkTransport) async throws -> GatewayKey {
        var frames = frames.makeAsyncIterator()
        let peer = try await withHandshakeDeadline(transport) {
            guard case .hello(let theirKey, let theirNonce, let theirTopic) = try await next(&frames) else {
                throw Failure.handshake("expected hello")
            }
            guard theirTopic == topic.hash else { throw Failure.handshake("the other gateway serves another topic") }
            let nonce = Hashing.randomBytes(LinkHandshake.nonceLength)
            let handshake = LinkHandshake(topic: topic.hash, initiatorKey: theirKey, initiatorNonce: theirNonce,
                                          acceptorKey: key.publicKey, acceptorNonce: nonce)
            try await transport.send(LinkMessage.welcome(key: key.publicKey, nonce: nonce,
                                                         signature: key.sign(handshake.welcomeTranscript)).encoded)
            guard case .proof(let signature) = try await next(&frames) else { throw Failure.handshake("expected proof") }
            guard handshake.verifyProof(signature) else { throw Failure.handshake("proof signature does not verify") }
            return GatewayKey(theirKey)!
        }
        return try await run(peer: peer, weInitiated: false, frames: &frames, transport: transport)
    }

    // MARK: - After the handshake

    private func run(
        peer: GatewayKey,
        weInitiated: Bool,
        frames: inout some AsyncIteratorProtocol<[UInt8], any Error>,
        transport: LinkTransport
    ) async throws -> GatewayKey {
        guard peer != hub.ownKey else {
            await transport.close()
            throw Failure.ownKey
        }
        let link = GatewayLink(key: peer, weInitiated: weInitiated, outboxLimitBytes: settings.outboxLimitBytes) {
            Task { await transport.close() }
        }
        guard await hub.linkUp(link) else {
            await transport.close()
            throw Failure.refused
        }
        var linkLogger = logger
        linkLogger[metadataKey: "gateway"] = "\(peer)"
        let logger = linkLogger
        let lastHeard = LastHeard()
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        link.outbox.attach(wake: { wake.yield() }, onOverflow: { link.close() })
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [hub] in await Self.write(link: link, wakes: wakes, transport: transport, metrics: hub.gatewayMetrics) }
            group.addTask { await keepAlive(link: link, lastHeard: lastHeard, logger: logger) }
            do {
                while let frame = try await frames.next() {
                    lastHeard.touch()
                    await hub.received(try LinkMessage.decode(frame, maxFrameBytes: settings.maxFrameBytes), from: link)
                }
            } catch {
                logger.info("gateway link failed", metadata: ["error": "\(error)"])
            }
            link.outbox.shut()
            wake.finish()
            group.cancelAll()
        }
        await hub.linkDown(link)
        await transport.close()
        return peer
    }

    private static func write(link: GatewayLink, wakes: AsyncStream<Void>, transport: LinkTransport, metrics: GatewayMetrics) async {
        for await _ in wakes {
            for frame in link.outbox.takeAll() {
                do {
                    try await transport.send(Array(buffer: frame))
                } catch {
                    link.close()
                    return
                }
                link.outbox.didWrite(bytes: frame.readableBytes)
                metrics.linkBytesOut.increment(by: frame.readableBytes)
            }
        }
    }

    private func keepAlive(link: GatewayLink, lastHeard: LastHeard, logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.keepaliveInterval)
            guard !Task.isCancelled else { return }
            let silence = lastHeard.silence
            if silence > settings.silenceLimit {
                logger.info("gateway link silent; closing", metadata: ["silence": "\(silence)"])
                link.close()
                return
            }
            link.send(.keepalive)
        }
    }

    // MARK: - Handshake helpers

    private func next(_ frames: inout some AsyncIteratorProtocol<[UInt8], any Error>) async throws -> LinkMessage {
        guard let frame = try await frames.next() else { throw Failure.handshake("the connection closed") }
        return try LinkMessage.decode(frame, maxFrameBytes: settings.maxFrameBytes)
    }

    /// Closes the transport if the handshake has not finished in time, which ends any wait.
    private func withHandshakeDeadline<T>(_ transport: LinkTransport, _ body: () async throws -> T) async throws -> T {
        let deadline = Task { [timeout = settings.handshakeTimeout] in
            try await Task.sleep(for: timeout)
            await transport.close()
        }
        defer { deadline.cancel() }
        do {
            return try await body()
        } catch {
            await transport.close()
            throw error
        }
    }
}

/// When the link last carried a frame, shared by its reader and its keepalive task.
final class LastHeard: Sendable {
    private let start = ContinuousClock.now
    private let nanoseconds = Atomic<Int64>(0)

    func touch() {
        let elapsed = ContinuousClock.now - start
        nanoseconds.store(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    var silence: Duration {
        ContinuousClock.now - start - .nanoseconds(nanoseconds.load(ordering: .relaxed))
    }
}
