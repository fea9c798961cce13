import Logging
import NIOCore
import TomDHT

/// The state of one driver, confined to its event loop: the `DHTNode`, the channel, the
/// tick timer and the callers waiting for operations. Every method runs on `eventLoop`.
final class DHTDriverCore {
    let eventLoop: any EventLoop
    let logger: Logger
    let maxDatagramBytes: Int
    /// `DHTTime` zero: the monotonic clock's reading when the driver started.
    let origin: NIODeadline
    var node: DHTNode
    var channel: (any Channel)?
    var localFamily: AddressFamily = .v4
    private var waiters: [OperationID: EventLoopPromise<OperationOutcome>] = [:]
    /// Callers waiting for the routing table to hold at least one node.
    private var tableWaiters: [EventLoopPromise<Void>] = []
    private var tickTimer: Scheduled<Void>?
    private var tickDeadline: DHTTime?
    private var saveTimer: Scheduled<Void>?
    /// Writes the routing table (with our id) to the data directory; set by `startSaving`.
    var saveSnapshot: (([UInt8]) -> Void)?
    /// Re-puts what `DHTDriver.keepPublished` was given; created on first use.
    var republisher: Republisher?
    private(set) var isShutDown = false
    private(set) var oversizedDatagrams = 0
    private(set) var unsendableDatagrams = 0

    init(node: DHTNode, origin: NIODeadline, eventLoop: any EventLoop, maxDatagramBytes: Int, logger: Logger) {
        self.node = node
        self.origin = origin
        self.eventLoop = eventLoop
        self.maxDatagramBytes = maxDatagramBytes
        self.logger = logger
        synchronizeUnixClock()
    }

    /// The monotonic clock as the core's time.
    func now() -> DHTTime {
        let reading = NIODeadline.now().uptimeNanoseconds
        let start = origin.uptimeNanoseconds
        return DHTTime(nanoseconds: reading >= start ? reading - start : 0)
    }

    // MARK: - Datagrams

    /// One received datagram; answers are written but flushed at the end of the read burst.
    func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard !isShutDown else { return }
        let buffer = envelope.data
        guard buffer.readableBytes <= maxDatagramBytes else {
            oversizedDatagrams += 1
            return
        }
        guard let source = DHTAddress(envelope.remoteAddress) else { return }
        let bytes = buffer.withUnsafeReadableBytes { Array($0) }
        node.handle(datagram: bytes, from: source, now: now())
        // An answer goes back to where the query came from: reuse that socket address
        // rather than build (and allocate) a new one.
        writeOutgoing(replyingTo: (source, envelope.remoteAddress))
        deliverEvents()
    }

    /// The end of a read burst: one flush for all answers, then the timer.
    func readComplete() {
        channel?.flush()
        scheduleTick()
    }

    /// After any change made outside a read burst: send, report, re-arm the timer.
    func afterActivity() {
        writeOutgoing()
        channel?.flush()
        deliverEvents()
        scheduleTick()
    }

    private func writeOutgoing(replyingTo source: (address: DHTAddress, socketAddress: SocketAddress)? = nil) {
        guard let channel else {
            node.drainOutgoing { _ in }
            return
        }
        node.drainOutgoing { datagram in
            // A v4 socket cannot reach a v6 address (nodes6 contacts); skip instead of failing.
            guard datagram.destination.family == localFamily else {
                unsendableDatagrams += 1
                return
            }
            let destination = source.flatMap { $0.address == datagram.destination ? $0.socketAddress : nil }
                ?? SocketAddress(datagram.destination)
            var buffer = channel.allocator.buffer(capacity: datagram.bytes.count)
            buffer.writeBytes(datagram.bytes)
            channel.write(AddressedEnvelope(remoteAddress: destination, data: buffer), promise: nil)
        }
    }

    private func deliverEvents() {
        if !tableWaiters.isEmpty, node.routingTable.count > 0 {
            let ready = tableWaiters
            tableWaiters.removeAll()
            for promise in ready { promise.succeed() }
        }
        for event in node.pollEvents() {
            switch event {
            case .operationCompleted(let id, let outcome):
                waiters.removeValue(forKey: id)?.succeed(outcome)
            case .externalAddressChanged, .nodeIDChanged:
                noteIdentityChange(event)
            }
        }
    }

    // MARK: - Timer

    /// Arms the timer for `nextDeadline` unless one at least as early is armed. A timer that
    /// fires early (the deadline moved later) only costs a harmless `tick`.
    private func scheduleTick() {
        guard !isShutDown, let deadline = node.nextDeadline else { return }
        if let armed = tickDeadline, armed <= deadline { return }
        tickTimer?.cancel()
        tickDeadline = deadline
        let (sum, overflow) = origin.uptimeNanoseconds.addingReportingOverflow(deadline.nanoseconds)
        let when = NIODeadline.uptimeNanoseconds(overflow ? UInt64(Int64.max) : min(sum, UInt64(Int64.max)))
        tickTimer = eventLoop.assumeIsolated().scheduleTask(deadline: when) { [self] in
            tickTimer = nil
            tickDeadline = nil
            guard !isShutDown else { return }
            synchronizeUnixClock()
            node.tick(now: now())
            afterActivity()
        }
    }

    /// Gives the node the wall clock (signed-peer timestamps are Unix times). Called at
    /// start, on every tick and before every operation, so a stepped clock is soon followed.
    private func synchronizeUnixClock() {
        node.setUnixTime(microsecondsSinceEpoch: WallClock.microsecondsSinceEpoch(), now: now())
    }

    // MARK: - Operations

    /// Starts an operation and returns its id and the future of its outcome.
    func start(_ body: (inout DHTNode, DHTTime) -> OperationID) -> (OperationID?, EventLoopFuture<OperationOutcome>) {
        let promise = eventLoop.makePromise(of: OperationOutcome.self)
        guard !isShutDown else {
            promise.fail(DHTDriverError.shutDown)
            return (nil, promise.futureResult)
        }
        synchronizeUnixClock()
        let id = body(&node, now())
        waiters[id] = promise
        afterActivity()
        return (id, promise.futureResult)
    }

    /// Succeeds once the routing table holds a node (at once if it already does).
    func routingTableNotEmpty() -> EventLoopFuture<Void> {
        if node.routingTable.count > 0 { return eventLoop.makeSucceededVoidFuture() }
        guard !isShutDown else { return eventLoop.makeFailedFuture(DHTDriverError.shutDown) }
        let promise = eventLoop.makePromise(of: Void.self)
        tableWaiters.append(promise)
        return promise.futureResult
    }

    /// The caller stopped waiting; the operation runs to its end unobserved.
    func abandon(_ id: OperationID) {
        waiters.removeValue(forKey: id)?.fail(CancellationError())
    }

    // MARK: - Saving

    func startSaving(every interval: TimeAmount, save: @escaping ([UInt8]) -> Void) {
        saveSnapshot = save
        saveTimer = eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            guard !isShutDown else { return }
            save(node.routingTable.snapshot.encoded())
            startSaving(every: interval, save: save)
        }
    }

    // MARK: - Shutdown

    /// Stops the timers, fails every waiter, and returns what must be saved and closed.
    func beginShutdown() -> (snapshot: [UInt8], channel: (any Channel)?)? {
        guard !isShutDown else { return nil }
        isShutDown = true
        republisher?.stop()
        tickTimer?.cancel()
        tickTimer = nil
        saveTimer?.cancel()
        saveTimer = nil
        let pending = waiters
        waiters.removeAll()
        for promise in pending.values { promise.fail(DHTDriverError.shutDown) }
        let tablePending = tableWaiters
        tableWaiters.removeAll()
        for promise in tablePending { promise.fail(DHTDriverError.shutDown) }
        let channel = self.channel
        self.channel = nil
        return (node.routingTable.snapshot.encoded(), channel)
    }
}

/// Receives datagrams on the driver's event loop and hands them to the core.
final class DHTChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let core: DHTDriverCore

    init(core: DHTDriverCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.receive(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.readComplete()
    }

    /// ICMP errors (port unreachable and the like) surface here; a UDP socket stays usable,
    /// so they are logged at debug level and otherwise ignored.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.logger.debug("dht socket error", metadata: ["error": "\(error)"])
    }
}
