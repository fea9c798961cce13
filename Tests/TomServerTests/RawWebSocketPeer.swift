import NIOCore
import NIOPosix

/// A deliberately badly behaved WebSocket peer on a bare TCP channel: it does the upgrade and
/// then does only what a test tells it (it never answers pings, and can stop reading).
final class RawWebSocketPeer: Sendable {
    let channel: any Channel
    private let collector: ByteCollector

    private init(channel: any Channel, collector: ByteCollector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> RawWebSocketPeer {
        let collector = ByteCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let peer = RawWebSocketPeer(channel: channel, collector: collector)
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        try await collector.waitFor(channel: channel) { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }
        return peer
    }

    /// Sends one masked text frame.
    func sendText(_ text: String) async throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame.append(0x80 | 126)
            frame.append(UInt8(payload.count >> 8))
            frame.append(UInt8(payload.count & 0xff))
        }
        let mask: [UInt8] = [1, 2, 3, 4]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try await channel.writeAndFlush(ByteBuffer(bytes: frame)).get()
    }

    func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    /// Reads again: a peer that never reads never sees the server's FIN either.
    func resumeReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
    }

    /// Waits until the server closes the TCP connection.
    func waitUntilClosed() async throws {
        try await channel.closeFuture.get()
    }
}

/// Collects inbound bytes on the channel's event loop.
private final class ByteCollector: ChannelInboundHandler, @unchecked Sendable {
    // Only touched on the channel's event loop.
    typealias InboundIn = ByteBuffer
    private var received: [UInt8] = []
    private var waiters: [(predicate: ([UInt8]) -> Bool, promise: EventLoopPromise<Void>)] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += Array(buffer: unwrapInboundIn(data))
        waiters.removeAll { waiter in
            guard waiter.predicate(received) else { return false }
            waiter.promise.succeed()
            return true
        }
    }

    func waitFor(channel: any Channel, _ predicate: @escaping @Sendable ([UInt8]) -> Bool) async throws {
        try await channel.eventLoop.flatSubmit { [self] in
            let promise = channel.eventLoop.makePromise(of: Void.self)
            if predicate(received) {
                promise.succeed()
            } else {
                waiters.append((predicate, promise))
            }
            return promise.futureResult
        }.get()
    }
}
