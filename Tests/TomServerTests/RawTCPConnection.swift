import NIOCore
import NIOPosix

/// A bare TCP connection for hostile HTTP tests: it writes whatever bytes a test gives it
/// and collects whatever comes back, until the server closes or a condition holds.
final class RawTCPConnection: Sendable {
    let channel: any Channel
    private let collector: ReplyCollector

    private init(channel: any Channel, collector: ReplyCollector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(host: String = "127.0.0.1", port: Int) async throws -> RawTCPConnection {
        let collector = ReplyCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: host, port: port).get()
        return RawTCPConnection(channel: channel, collector: collector)
    }

    /// Writes `bytes`; a server that already closed the connection is not an error here.
    func send(_ bytes: [UInt8]) async {
        try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func send(_ text: String) async {
        await send(Array(text.utf8))
    }

    /// What the server sent, once it closed the connection, `enough` holds, or `timeout` passed.
    func reply(until enough: @escaping @Sendable (String) -> Bool = { _ in false }, timeout: Duration = .seconds(5)) async -> String {
        let bytes = await collector.wait(on: channel, timeout: timeout) { enough(String(decoding: $0, as: UTF8.self)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the server has closed the connection.
    var isClosed: Bool {
        get async { !channel.isActive }
    }

    func close() async {
        try? await channel.close()
    }
}

/// Collects inbound bytes on the channel's event loop; waiters are released when their
/// condition holds, when the connection closes, or at their deadline.
private final class ReplyCollector: ChannelInboundHandler, @unchecked Sendable {
    // Only touched on the channel's event loop.
    typealias InboundIn = ByteBuffer
    private var received: [UInt8] = []
    private var closed = false
    private var waiters: [(id: Int, predicate: ([UInt8]) -> Bool, promise: EventLoopPromise<[UInt8]>)] = []
    private var nextWaiter = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += Array(buffer: unwrapInboundIn(data))
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        release()
        context.fireChannelInactive()
    }

    private func release() {
        waiters.removeAll { waiter in
            guard closed || waiter.predicate(received) else { return false }
            waiter.promise.succeed(received)
            return true
        }
    }

    func wait(on channel: any Channel, timeout: Duration, _ predicate: @escaping @Sendable ([UInt8]) -> Bool) async -> [UInt8] {
        let loop = channel.eventLoop
        let future = loop.flatSubmit { [self] () -> EventLoopFuture<[UInt8]> in
            let promise = loop.makePromise(of: [UInt8].self)
            if closed || predicate(received) {
                promise.succeed(received)
                return promise.futureResult
            }
            nextWaiter += 1
            let id = nextWaiter
            waiters.append((id, predicate, promise))
            loop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)) {
                // Released already, unless it is still waiting.
                guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return }
                self.waiters.remove(at: index).promise.succeed(self.received)
            }
            return promise.futureResult
        }
        return (try? await future.get()) ?? []
    }
}
