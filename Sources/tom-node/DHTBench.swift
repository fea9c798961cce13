import ArgumentParser
import Glibc
import Logging
import NIOCore
import NIOPosix
import TomCrypto
import TomDHTNIO

/// `tom-node dht bench`: the DHT figures of Docs/dht.md, measured on this machine.
///
/// 1. A bare NIO UDP echo on 127.0.0.1, driven by the same load generator as step 2: the
///    ceiling of this machine, socket and event loop for one request/answer stream.
/// 2. One DHT node (the real driver) answering ping and find_node on 127.0.0.1, with 8
///    confirmed nodes in its table so find_node answers carry 8 contacts; reported per
///    second and as a share of the echo.
/// 3. BEP 44 mutable puts verified (Ed25519) and stored by the sans-IO core, with no
///    sockets (pre-signed put queries fed to `DHTNode.handle`), per CPU-second of one core,
///    next to libsodium's verification alone: the ceiling of a put, since each is verified.
/// 4. Heap bytes per stored item and per routing-table entry (glibc mallinfo2 deltas).
struct DHTBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure DHT throughput and memory (use a release build).")

    @Option(help: "Seconds each socket measurement runs.") var seconds: Double = 3
    @Option(help: "Queries the load generator keeps in flight.") var window: Int = 256
    @Option(help: "Load generator: 'batch' (a thread with sendmmsg/recvmmsg) or 'nio' (an event loop, as before).")
    var generator: String = "batch"
    @Option(help: "Mutable items put in the sans-IO store benchmark.") var items: Int = 20_000
    @Option(help: "Bytes of each benchmark item's value.") var valueBytes: Int = 200
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be 0...60") }
        guard (1...10_000).contains(window) else { throw ValidationError("--window must be 1...10000") }
        guard ["batch", "nio"].contains(generator) else { throw ValidationError("--generator must be batch or nio") }
        guard (100...1_000_000).contains(items) else { throw ValidationError("--items must be 100...1000000") }
        guard (1...990).contains(valueBytes) else { throw ValidationError("--value-bytes must be 1...990") }
    }

    func run() async throws {
        var logger = Logger(label: "tom-node-bench")
        logger.logLevel = .error
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let serverLoop = group.next()
        let clientLoop = group.next()

        var senderGenerator = SystemRandomNumberGenerator()
        let sender = NodeID.random(using: &senderGenerator)
        let ping = KRPCMessage(transactionID: Array("bp".utf8), kind: .query(KRPCQuery(senderID: sender, method: .ping))).encoded()
        let findNode = KRPCMessage(
            transactionID: Array("bf".utf8),
            kind: .query(KRPCQuery(senderID: sender, method: .findNode(FindNodeArguments(target: NodeID.random(using: &senderGenerator)))))
        ).encoded()

        // 1. Echo.
        let echo = try await DatagramBootstrap(group: serverLoop)
            // Read like the DHT driver (recvmmsg), so the baseline is the best the socket gives.
            .channelOption(.datagramVectorReadMessageCount, value: DHTDriver.datagramsPerRead)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2049 * DHTDriver.datagramsPerRead))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(EchoHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let echoRate = try await measure(target: echo.localAddress!, query: ping, countOnlyResponses: false, loop: clientLoop)
        try await echo.close()

        // 2. A DHT node with 8 confirmed contacts.
        var configuration = DHTDriverConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let node = try await DHTDriver.start(configuration: configuration, group: serverLoop, logger: logger)
        var helpers: [DHTDriver] = []
        for _ in 0..<8 {
            let helper = try await DHTDriver.start(configuration: configuration, group: clientLoop, logger: logger)
            _ = try await helper.bootstrap(contacts: [node.localAddress])
            helpers.append(helper)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while try await node.status().confirmedNodes < 8, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let target = SocketAddress(node.localAddress)
        let pingRate = try await measure(target: target, query: ping, countOnlyResponses: true, loop: clientLoop)
        let findNodeRate = try await measure(target: target, query: findNode, countOnlyResponses: true, loop: clientLoop)
        for helper in helpers { await helper.shutdown() }
        await node.shutdown()

        // 3 and 4.
        let corePing = StoreBench.sansIOAnswers(query: ping, seconds: min(seconds, 2))
        let puts = StoreBench.mutablePuts(count: items, valueBytes: valueBytes)
        let routing = StoreBench.routingTableEntryBytes()

        try await group.shutdownGracefully()

        let share = { (rate: Double) in echoRate > 0 ? rate / echoRate * 100 : 0 }
        if json {
            print(JSONOutput.object([
                ("load_generator", .string(generator)),
                ("udp_echo_per_s", .int(Int(echoRate))),
                ("ping_per_s", .int(Int(pingRate))), ("ping_share_of_echo_pct", .double((share(pingRate) * 10).rounded() / 10)),
                ("find_node_per_s", .int(Int(findNodeRate))), ("sans_io_ping_per_s", .int(Int(corePing))),
                ("find_node_share_of_echo_pct", .double((share(findNodeRate) * 10).rounded() / 10)),
                ("mutable_puts_per_s", .int(Int(puts.rate))), ("puts_stored", .int(puts.stored)),
                ("ed25519_verify_per_s", .int(Int(puts.verifyRate))),
                ("value_bytes", .int(valueBytes)),
                ("bytes_per_item", .int(puts.bytesPerItem)),
                ("bytes_per_routing_entry", .int(routing.bytesPerEntry)), ("routing_entries", .int(routing.entries)),
            ]).rendered)
        } else {
            print("load generator                  \(generator == "nio" ? "NIO event loop" : "thread with sendmmsg/recvmmsg"), window \(window)")
            print("UDP echo (NIO, loopback)        \(Int(echoRate)) answers/s")
            print("DHT ping answered               \(Int(pingRate))/s  (\(String(format1: share(pingRate)))% of echo)")
            print("DHT find_node answered (8 nodes)\(Int(findNodeRate))/s  (\(String(format1: share(findNodeRate)))% of echo)")
            print("ping handled by the core alone  \(Int(corePing))/s per CPU-second (sans-IO, no sockets)")
            print("BEP 44 mutable puts (sans-IO)   \(Int(puts.rate))/s per CPU-second verified and stored (\(puts.stored) items, \(valueBytes)-byte values)")
            print("Ed25519 verify alone (libsodium)\(Int(puts.verifyRate))/s per CPU-second: puts run at \(String(format1: puts.rate / puts.verifyRate * 100))% of it")
            print("memory per stored item          \(puts.bytesPerItem) bytes (value \(valueBytes) bytes + key, signature, index)")
            print("memory per routing-table entry  \(routing.bytesPerEntry) bytes (\(routing.entries) entries)")
        }
    }
}

extension DHTBench {
    /// Answers per second from `target` with the chosen load generator.
    func measure(target: SocketAddress, query: [UInt8], countOnlyResponses: Bool, loop: any EventLoop) async throws -> Double {
        if generator == "nio" {
            return try await LoadGenerator.measure(
                target: target, query: query, countOnlyResponses: countOnlyResponses, window: window, seconds: seconds, loop: loop
            )
        }
        return try await DatagramLoadGenerator.measure(
            target: target, query: query, countOnlyResponses: countOnlyResponses, window: window, seconds: seconds
        )
    }
}

extension String {
    init(format1 value: Double) {
        self = String((value * 10).rounded() / 10)
    }
}

/// Echoes every datagram to its sender, flushing once per read burst.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: envelope.data)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

/// Keeps `window` queries in flight against one UDP target and counts answers.
final class LoadGenerator: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let target: SocketAddress
    let query: [UInt8]
    let countOnlyResponses: Bool
    let window: Int
    var answers = 0
    var sent = 0
    var answersAtLastCheck = 0
    var context: ChannelHandlerContext?
    var timer: Scheduled<Void>?
    var isRunning = false

    init(target: SocketAddress, query: [UInt8], countOnlyResponses: Bool, window: Int) {
        self.target = target
        self.query = query
        self.countOnlyResponses = countOnlyResponses
        self.window = window
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func start() {
        guard let context else { return }
        topUp()
        // Datagrams lost on the way are written off every 5 ms without answers.
        isRunning = true
        scheduleCheck(context)
    }

    private func scheduleCheck(_ context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(5)) { [self] in
            guard isRunning else { return }
            if answers == answersAtLastCheck { sent = answers }
            answersAtLastCheck = answers
            topUp()
            scheduleCheck(context)
        }
    }

    func stop() {
        isRunning = false
        timer?.cancel()
        timer = nil
    }

    private func topUp() {
        guard let context else { return }
        while sent - answers < window {
            send(context)
        }
        context.flush()
    }

    private func send(_ context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: query.count)
        buffer.writeBytes(query)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: target, data: buffer)), promise: nil)
        sent += 1
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if countOnlyResponses {
            // KRPC keys are sorted and `y` is the last one: a response ends with "1:y1:re".
            let view = envelope.data.readableBytesView
            guard view.count >= 7, view.suffix(7).elementsEqual("1:y1:re".utf8) else { return }
        }
        answers += 1
        if isRunning, sent - answers < window { send(context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Answers per second over `seconds`, after a short warm-up.
    static func measure(
        target: SocketAddress, query: [UInt8], countOnlyResponses: Bool, window: Int, seconds: Double, loop: any EventLoop
    ) async throws -> Double {
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: DHTDriver.datagramsPerRead)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2049 * DHTDriver.datagramsPerRead))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let generator = LoadGenerator(target: target, query: query, countOnlyResponses: countOnlyResponses, window: window)
                    try channel.pipeline.syncOperations.addHandler(generator)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        func answers() async throws -> Int {
            try await loop.submit {
                try channel.pipeline.syncOperations.handler(type: LoadGenerator.self).answers
            }.get()
        }
        try await loop.submit { try channel.pipeline.syncOperations.handler(type: LoadGenerator.self).start() }.get()
        try await Task.sleep(for: .milliseconds(500))
        let before = try await answers()
        let started = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        let after = try await answers()
        let elapsed = ContinuousClock.now - started
        try await loop.submit { try channel.pipeline.syncOperations.handler(type: LoadGenerator.self).stop() }.get()
        try await channel.close()
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(after - before) / secondsElapsed
    }
}

/// The sans-IO measurements: no sockets, no event loop.
enum StoreBench {
    /// Heap bytes in use (glibc `mallinfo2`: `uordblks` + `hblkhd`). malloc.h is not in
    /// Swift's Glibc module, so the function is looked up with dlsym. It returns an 80-byte
    /// struct, which every supported ABI returns through a caller-provided buffer; declaring
    /// a larger C struct (`stat`) as the return type keeps that convention and leaves room.
    static func heapInUse() -> Int {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return 0 }
        typealias MallInfo2 = @convention(c) () -> stat
        precondition(MemoryLayout<stat>.size >= 80)
        let info = unsafeBitCast(symbol, to: MallInfo2.self)()
        return withUnsafeBytes(of: info) { raw in
            Int(raw.load(fromByteOffset: 7 * 8, as: UInt.self)) + Int(raw.load(fromByteOffset: 4 * 8, as: UInt.self))
        }
    }

    /// CPU time of the calling thread: the sans-IO figures are per CPU-second of one core, so
    /// other work sharing the machine does not lower them (it would lower a wall-clock rate).
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Pre-signs `count` put queries for distinct keys, then times `DHTNode.handle` on them
    /// (per CPU-second of the thread, like the verification alone).
    static func mutablePuts(count: Int, valueBytes: Int) -> (rate: Double, stored: Int, bytesPerItem: Int, verifyRate: Double) {
        var config = DHTConfig()
        config.maxItems = count
        config.maxItemBytes = count * (valueBytes + 16)
        config.verifyNewQueriers = false
        var node = DHTNode(config: config, seed: 1, now: .zero)
        let source = DHTAddress(ip: .v4(IPv4Address(127, 0, 0, 1)), port: 40000)
        var generator = DHTRandom(seed: 7)
        let sender = NodeID.random(using: &generator)

        // A token for `source`, from a get.
        let get = KRPCMessage(transactionID: [0, 0], kind: .query(KRPCQuery(senderID: sender, method: .get(GetItemArguments(target: sender)))))
        node.handle(datagram: get.encoded(), from: source, now: .zero)
        let answer = node.pollOutgoing().first.flatMap { try? KRPCMessage.decode($0.bytes) }
        guard let token = answer?.response?.token else { return (0, 0, 0, 0) }

        let text = String(repeating: "x", count: max(1, valueBytes - 4))
        let value = CanonicalBencode(.bytes(Array(text.utf8)))
        let sequence = WallClock.microsecondsSinceEpoch()
        var items: [MutableItem] = []
        items.reserveCapacity(count)
        let queries: [[UInt8]] = (0..<count).map { index in
            let key = ItemSigningKey.random(using: &generator)
            let item = MutableItem.signed(value: value, salt: [], sequenceNumber: sequence, key: key)
            items.append(item)
            let arguments = PutItemArguments(
                token: token, value: item.value, publicKey: item.publicKey, signature: item.signature,
                sequenceNumber: item.sequenceNumber
            )
            let transaction = [UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index)]
            return KRPCMessage(transactionID: transaction, kind: .query(KRPCQuery(senderID: sender, method: .put(arguments)))).encoded()
        }
        _ = node.pollOutgoing()

        // The signature check alone, for scale: the floor of what a put can cost.
        let verifyStarted = threadCPUSeconds()
        var valid = 0
        for item in items where item.hasValidSignature { valid += 1 }
        let verifyRate = Double(valid) / (threadCPUSeconds() - verifyStarted)
        items.removeAll()

        let heapBefore = heapInUse()
        let started = threadCPUSeconds()
        for query in queries {
            node.handle(datagram: query, from: source, now: DHTTime(nanoseconds: 1_000))
            node.drainOutgoing { _ in }
        }
        let seconds = threadCPUSeconds() - started
        let heapAfter = heapInUse()
        let stored = node.itemStore.count
        return (Double(count) / seconds, stored, stored > 0 ? (heapAfter - heapBefore) / stored : 0, verifyRate)
    }

    /// `DHTNode.handle` plus `drainOutgoing` for one query, repeated: the core's share of a
    /// socket answer, without NIO (the driver does the same per datagram).
    static func sansIOAnswers(query: [UInt8], seconds: Double) -> Double {
        var node = DHTNode(seed: 3, now: .zero)
        let source = DHTAddress(ip: .v4(IPv4Address(127, 0, 0, 1)), port: 40001)
        var handled = 0
        let started = threadCPUSeconds()
        while threadCPUSeconds() - started < seconds {
            for _ in 0..<1000 {
                node.handle(datagram: query, from: source, now: DHTTime(nanoseconds: 1_000))
                var answered = false
                node.drainOutgoing { _ in answered = true }
                handled += answered ? 1 : 0
            }
        }
        return Double(handled) / (threadCPUSeconds() - started)
    }

    /// Fills a routing table with 8 nodes in each of its first 150 buckets.
    static func routingTableEntryBytes() -> (entries: Int, bytesPerEntry: Int) {
        var generator = DHTRandom(seed: 11)
        let ownID = NodeID.random(using: &generator)
        var candidates: [NodeInfo] = []
        for bucket in 0..<150 {
            for slot in 0..<8 {
                // Shares exactly `bucket` leading bits with our id.
                var id = NodeID.random(using: &generator)
                for bit in 0..<bucket where id.bit(at: bit) != ownID.bit(at: bit) { id = id.flippingBit(at: bit) }
                if id.bit(at: bucket) == ownID.bit(at: bucket) { id = id.flippingBit(at: bucket) }
                let ip = IPv4Address(10, UInt8(bucket), UInt8(slot), 1)
                candidates.append(NodeInfo(id: id, address: DHTAddress(ip: .v4(ip), port: 6881)))
            }
        }
        let heapBefore = heapInUse()
        var table = RoutingTable(ownID: ownID, now: .zero)
        for node in candidates { table.recordResponse(from: node, at: .zero) }
        let heapAfter = heapInUse()
        let entries = table.count
        return (entries, entries > 0 ? (heapAfter - heapBefore) / entries : 0)
    }
}
