import Bencode
import Logging
import NIOCore
import NIOPosix
import TomDHT
import TomStore

/// Why a driver call failed.
public enum DHTDriverError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The driver was shut down before or while the operation ran.
    case shutDown
    /// The core refused to start the operation (for example a value over 1000 bytes).
    case rejected(String)
    /// No bootstrap endpoint could be resolved.
    case unresolvable([BootstrapResolver.Failure])
    /// The UDP socket could not be bound.
    case cannotBind(String)
    /// The core answered with an outcome of another kind (a bug).
    case unexpectedOutcome(String)

    public var description: String {
        switch self {
        case .shutDown: "the DHT node is shut down"
        case .rejected(let reason): "refused: \(reason)"
        case .unresolvable(let failures): "no bootstrap address: " + failures.map(\.description).joined(separator: "; ")
        case .cannotBind(let reason): "cannot bind the DHT socket: \(reason)"
        case .unexpectedOutcome(let outcome): "unexpected outcome \(outcome)"
        }
    }
}

/// A snapshot of a running node for status output and tests.
public struct DHTDriverStatus: Sendable {
    public var nodeID: NodeID
    public var localAddress: DHTAddress
    public var routingTableSize: Int
    public var confirmedNodes: Int
    public var bucketCount: Int
    public var storedItems: Int
    public var queriesInFlight: Int
    public var statistics: DHTStatistics
    public var oversizedDatagrams: Int
}

/// Runs one sans-IO `DHTNode` on one SwiftNIO event loop over one UDP socket.
///
/// The node, the socket and the timer live on the loop (`DHTDriverCore`); every public
/// method hops onto it. Datagrams are fed with the monotonic clock as `DHTTime`, answers
/// from one read burst leave with a single flush, and `tick` runs at the node's
/// `nextDeadline`. Client operations are async and return the core's outcome; cancelling
/// the calling task stops the wait (the lookup itself finishes unobserved).
public final class DHTDriver: Sendable {
    public let eventLoop: any EventLoop
    /// Our id when the driver started; `status().nodeID` follows a later BEP 42 change.
    public let nodeID: NodeID
    /// The bound address (with the real port when 0 was asked for).
    public let localAddress: DHTAddress
    public let configuration: DHTDriverConfiguration
    /// The nodes of the saved routing table, contacted at start; nil when nothing was saved.
    public let restoredNodeCount: Int
    private let restoration: EventLoopFuture<OperationOutcome>?
    let core: NIOLoopBound<DHTDriverCore>
    private let logger: Logger

    private init(
        eventLoop: any EventLoop, nodeID: NodeID, localAddress: DHTAddress, configuration: DHTDriverConfiguration,
        restoredNodeCount: Int, restoration: EventLoopFuture<OperationOutcome>?,
        core: NIOLoopBound<DHTDriverCore>, logger: Logger
    ) {
        self.eventLoop = eventLoop
        self.nodeID = nodeID
        self.localAddress = localAddress
        self.configuration = configuration
        self.restoredNodeCount = restoredNodeCount
        self.restoration = restoration
        self.core = core
        self.logger = logger
    }

    /// Loads the saved routing table (if any), binds the socket, and starts the node. The
    /// saved nodes are contacted at once (a bootstrap from them), so only those still alive
    /// come back into the table.
    /// Datagrams read per system call: a busy node answers a burst with one recvmmsg and
    /// one flush (sendmmsg) instead of a system call each way per query.
    public static let datagramsPerRead = 32

    public static func start(
        configuration: DHTDriverConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> DHTDriver {
        var saved: RoutingTableSnapshot?
        if let directory = configuration.dataDirectory {
            do {
                saved = try RoutingTableFile.load(from: directory)
            } catch {
                // A damaged file costs a fresh join, never the start.
                logger.warning("ignoring the saved routing table", metadata: ["error": "\(error)"])
            }
        }
        let nodeID = configuration.nodeID ?? saved?.ownID ?? {
            var system = SystemRandomNumberGenerator()
            return NodeID.random(using: &system)
        }()
        let seed = configuration.seed ?? UInt64.random(in: 0...UInt64.max)
        let eventLoop = group.next()
        let origin = NIODeadline.now()
        let config = configuration.dht
        let maxBytes = configuration.maxDatagramBytes
        let core = try await eventLoop.submit {
            let node = DHTNode(config: config, nodeID: nodeID, seed: seed, now: .zero)
            return NIOLoopBound(
                DHTDriverCore(node: node, origin: origin, eventLoop: eventLoop, maxDatagramBytes: maxBytes, logger: logger),
                eventLoop: eventLoop
            )
        }.get()

        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: eventLoop)
                // Up to `datagramsPerRead` datagrams per system call (recvmmsg), each with one
                // byte more than the bound, so an oversized datagram is seen as such.
                .channelOption(.datagramVectorReadMessageCount, value: Self.datagramsPerRead)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: (maxBytes + 1) * Self.datagramsPerRead))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DHTChannelHandler(core: core.value))
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw DHTDriverError.cannotBind("\(configuration.host):\(configuration.port): \(error)")
        }
        guard let bound = channel.localAddress.flatMap(DHTAddress.init) else {
            try? await channel.close()
            throw DHTDriverError.cannotBind("no local address")
        }

        let contacts = (saved?.nodes ?? []).map(\.address).filter { $0.family == bound.family }
        let directory = configuration.dataDirectory
        let interval = configuration.saveInterval
        let restoration: EventLoopFuture<OperationOutcome>? = try await eventLoop.submit {
            let state = core.value
            state.channel = channel
            state.localFamily = bound.family
            if directory != nil {
                state.startSaving(every: interval) { bytes in
                    Self.save(bytes, to: directory, logger: logger)
                }
            }
            guard !contacts.isEmpty else { return nil }
            return state.start { node, now in node.bootstrap(from: contacts, now: now) }.1
        }.get()

        logger.log(level: configuration.lifecycleLogLevel, "dht node started", metadata: [
            "node_id": "\(nodeID.hex)", "address": "\(bound)", "saved_nodes": "\(contacts.count)",
        ])
        return DHTDriver(
            eventLoop: eventLoop, nodeID: nodeID, localAddress: bound, configuration: configuration,
            restoredNodeCount: contacts.count, restoration: restoration, core: core, logger: logger
        )
    }

    // MARK: - Joining

    /// One bootstrap: resolves `hosts` (`host:port`), then contacts them and looks up our
    /// own id. Throws `unresolvable` when no name resolves.
    public func bootstrap(hosts: [String]) async throws -> BootstrapSummary {
        let (addresses, failures) = await BootstrapResolver.resolve(hosts, families: [localAddress.family])
        for failure in failures {
            logger.warning("cannot resolve bootstrap node", metadata: ["endpoint": "\(failure.endpoint)", "reason": "\(failure.reason)"])
        }
        guard !addresses.isEmpty else { throw DHTDriverError.unresolvable(failures) }
        return try await bootstrap(contacts: addresses)
    }

    /// One bootstrap from known addresses.
    public func bootstrap(contacts: [DHTAddress]) async throws -> BootstrapSummary {
        guard case .bootstrapped(let summary) = try await perform({ node, now in node.bootstrap(from: contacts, now: now) }) else {
            throw DHTDriverError.unexpectedOutcome("bootstrap")
        }
        return summary
    }

    /// Bootstraps until some node answers, retrying with exponential back-off (and a clear
    /// log line each time) when names do not resolve or nobody answers. Throws only
    /// `CancellationError` or `shutDown`.
    ///
    /// With `waitForSelfLookup` (the default, for long-lived nodes) it returns when the
    /// bootstrap's lookup of our own id has finished, so the table is filled. Without it, it
    /// returns as soon as a contact has answered and the table holds a node, which is all a
    /// one-shot client needs: its own lookup does the discovery.
    @discardableResult
    public func join(hosts: [String], waitForSelfLookup: Bool = true) async throws -> JoinSummary {
        var delay = configuration.bootstrapRetryDelay
        while true {
            try Task.checkCancellation()
            let (addresses, failures) = await BootstrapResolver.resolve(hosts, families: [localAddress.family])
            for failure in failures {
                logger.warning("cannot resolve bootstrap node", metadata: ["endpoint": "\(failure.endpoint)", "reason": "\(failure.reason)"])
            }
            if addresses.isEmpty {
                logger.warning("no bootstrap node could be resolved; retrying", metadata: [
                    "bootstrap": "\(hosts.joined(separator: ","))", "retry_in_ms": "\(delay.nanoseconds / 1_000_000)",
                ])
            } else {
                let joined = try await attemptJoin(addresses, waitForSelfLookup: waitForSelfLookup)
                if joined.routingTableSize > 0 {
                    logger.log(level: configuration.lifecycleLogLevel, "joined the dht", metadata: [
                        "contacts": "\(addresses.count)", "routing_table": "\(joined.routingTableSize)",
                    ])
                    return joined
                }
                logger.warning("no bootstrap node answered; retrying", metadata: [
                    "bootstrap": "\(hosts.joined(separator: ","))", "retry_in_ms": "\(delay.nanoseconds / 1_000_000)",
                ])
            }
            try await Task.sleep(nanoseconds: UInt64(max(0, delay.nanoseconds)))
            delay = min(delay * 2, configuration.maxBootstrapRetryDelay)
        }
    }

    /// What `join` achieved.
    public struct JoinSummary: Sendable {
        /// The finished bootstrap, when `join` waited for it.
        public var bootstrap: BootstrapSummary?
        public var routingTableSize: Int
    }

    private func attemptJoin(_ addresses: [DHTAddress], waitForSelfLookup: Bool) async throws -> JoinSummary {
        if waitForSelfLookup {
            let summary = try await bootstrap(contacts: addresses)
            return JoinSummary(bootstrap: summary, routingTableSize: summary.routingTableSize)
        }
        let core = self.core
        let (id, finished, tableReady) = try await eventLoop.submit {
            let (id, future) = core.value.start { node, now in node.bootstrap(from: addresses, now: now) }
            return (id.map { NIOLoopBound($0, eventLoop: core.value.eventLoop) }, future, core.value.routingTableNotEmpty())
        }.get()
        // Whichever comes first: a node in the table, or the bootstrap's end (which may
        // leave the table empty when nobody answered).
        let loop = eventLoop
        let either = try await loop.submit {
            let promise = loop.makePromise(of: Void.self)
            let done = NIOLoopBoundBox(false, eventLoop: loop)
            let complete = {
                guard !done.value else { return }
                done.value = true
                promise.succeed()
            }
            finished.assumeIsolated().whenComplete { _ in complete() }
            tableReady.assumeIsolated().whenComplete { _ in complete() }
            return (promise.futureResult, NIOLoopBound(complete, eventLoop: loop))
        }.get()
        try await withTaskCancellationHandler {
            try await either.0.get()
        } onCancel: {
            loop.execute {
                if let id = id?.value { core.value.abandon(id) }
                either.1.value()
            }
        }
        try Task.checkCancellation()
        let size = try await status().routingTableSize
        return JoinSummary(bootstrap: nil, routingTableSize: size)
    }

    /// Waits for the bootstrap from the saved routing table started by `start`; nil when
    /// nothing was saved.
    public func waitForRestoration() async throws -> BootstrapSummary? {
        guard let restoration, case .bootstrapped(let summary) = try await restoration.get() else { return nil }
        return summary
    }

    // MARK: - Client operations

    /// Pings one address; nil when it did not answer in time.
    public func ping(_ address: DHTAddress) async throws -> NodeInfo? {
        guard case .pinged(let node) = try await perform({ $0.ping(address, now: $1) }) else {
            throw DHTDriverError.unexpectedOutcome("ping")
        }
        return node
    }

    /// The K closest nodes to `target` that answered.
    public func findNode(_ target: NodeID) async throws -> LookupResult {
        guard case .nodesFound(let result) = try await perform({ $0.findNode(target, now: $1) }) else {
            throw DHTDriverError.unexpectedOutcome("find_node")
        }
        return result
    }

    /// Peers of `infoHash`.
    public func getPeers(_ infoHash: NodeID) async throws -> LookupResult {
        guard case .peersFound(let result) = try await perform({ $0.getPeers(infoHash, now: $1) }) else {
            throw DHTDriverError.unexpectedOutcome("get_peers")
        }
        return result
    }

    /// Announces us for `infoHash`. Without `port`, the receivers store the UDP source port
    /// of the announce (BEP 5 `implied_port`), i.e. our DHT port. With `keepPublished`, it is
    /// repeated before it expires (see `keepPublished(_:)`).
    public func announce(_ infoHash: NodeID, port: UInt16? = nil, keepPublished: Bool = false) async throws -> StoreSummary {
        let outcome = try await perform { node, now in
            node.announce(infoHash, port: port ?? 0, impliedPort: port == nil, now: now)
        }
        guard case .announced(let summary) = outcome else { throw DHTDriverError.unexpectedOutcome("announce") }
        if keepPublished { try await self.keepPublished(.announce(infoHash: infoHash, port: port)) }
        return summary
    }

    /// Looks up a BEP 44 item by target. A salted mutable item needs its salt to be verified.
    public func get(_ target: NodeID, salt: [UInt8] = []) async throws -> LookupResult {
        guard case .itemFound(let result) = try await perform({ $0.get(target, salt: salt, now: $1) }) else {
            throw DHTDriverError.unexpectedOutcome("get")
        }
        return result
    }

    /// Looks up the mutable item of `publicKey` and `salt`.
    public func getMutable(publicKey: [UInt8], salt: [UInt8] = []) async throws -> LookupResult {
        guard case .itemFound(let result) = try await perform({ $0.getMutable(publicKey: publicKey, salt: salt, now: $1) }) else {
            throw DHTDriverError.unexpectedOutcome("get")
        }
        return result
    }

    /// Stores an immutable item; its target is the SHA-1 of the bencoded value. With
    /// `keepPublished`, it is re-put before it expires (see `keepPublished(_:)`).
    public func putImmutable(_ value: CanonicalBencode, keepPublished: Bool = false) async throws -> StoreSummary {
        let summary = try storeSummary(await perform { $0.putImmutable(value, now: $1) })
        if keepPublished { try await self.keepPublished(.immutable(value)) }
        return summary
    }

    /// Signs and stores a mutable item. `sequenceNumber` defaults to the wall clock in
    /// microseconds since the Unix epoch, so it grows across restarts. With `keepPublished`,
    /// the signed item is re-put unchanged before it expires (see `keepPublished(_:)`).
    public func putMutable(
        value: CanonicalBencode,
        salt: [UInt8] = [],
        key: ItemSigningKey,
        sequenceNumber: Int64? = nil,
        compareAndSwap: Int64? = nil,
        keepPublished: Bool = false
    ) async throws -> (item: MutableItem, summary: StoreSummary) {
        let item = MutableItem.signed(
            value: value, salt: salt, sequenceNumber: sequenceNumber ?? WallClock.microsecondsSinceEpoch(), key: key
        )
        let summary = try storeSummary(await perform { $0.putMutable(item, compareAndSwap: compareAndSwap, now: $1) })
        if keepPublished { try await self.keepPublished(.mutable(item)) }
        return (item, summary)
    }

    func storeSummary(_ outcome: OperationOutcome) throws -> StoreSummary {
        guard case .itemStored(let summary) = outcome else { throw DHTDriverError.unexpectedOutcome("put") }
        return summary
    }

    /// Runs `body` on the loop, then waits for the operation's outcome. Rejections throw.
    func perform(_ body: @escaping @Sendable (inout DHTNode, DHTTime) -> OperationID) async throws -> OperationOutcome {
        let core = self.core
        let started = try await eventLoop.submit {
            let (id, future) = core.value.start(body)
            return (id.map { NIOLoopBound($0, eventLoop: core.value.eventLoop) }, future)
        }.get()
        let loop = eventLoop
        let outcome = try await withTaskCancellationHandler {
            try await started.1.get()
        } onCancel: {
            loop.execute {
                if let id = started.0?.value { core.value.abandon(id) }
            }
        }
        if case .rejected(let reason) = outcome { throw DHTDriverError.rejected(reason) }
        return outcome
    }

    // MARK: - Inspection

    public func status() async throws -> DHTDriverStatus {
        let core = self.core
        let address = localAddress
        return try await eventLoop.submit {
            let state = core.value
            let table = state.node.routingTable
            return DHTDriverStatus(
                nodeID: state.node.nodeID,
                localAddress: address,
                routingTableSize: table.count,
                confirmedNodes: table.entries.filter(\.isConfirmed).count,
                bucketCount: table.bucketCount,
                storedItems: state.node.itemStore.count,
                queriesInFlight: state.node.queriesInFlight,
                statistics: state.node.statistics,
                oversizedDatagrams: state.oversizedDatagrams
            )
        }.get()
    }

    /// The routing table's live entries, for listing.
    public func routingTableEntries() async throws -> [RoutingTableEntry] {
        let core = self.core
        return try await eventLoop.submit { core.value.node.routingTable.entries }.get()
    }

    /// Saves the routing table now (when a data directory is configured).
    public func saveRoutingTable() async throws {
        let core = self.core
        let bytes = try await eventLoop.submit { core.value.node.routingTable.snapshot.encoded() }.get()
        Self.save(bytes, to: configuration.dataDirectory, logger: logger)
    }

    // MARK: - Shutdown

    /// Stops the node: pending operations fail with `shutDown`, the routing table is saved,
    /// and the socket is closed. Calling it again does nothing.
    public func shutdown() async {
        let core = self.core
        guard let (snapshot, channel) = (try? await eventLoop.submit({
            core.value.beginShutdown().map { ($0.snapshot, $0.channel.map { NIOLoopBound($0, eventLoop: core.value.eventLoop) }) }
        }).get()) ?? nil else { return }
        if configuration.dataDirectory != nil {
            Self.save(snapshot, to: configuration.dataDirectory, logger: logger)
        }
        if let channel {
            let loop = eventLoop
            try? await loop.flatSubmit { channel.value.close() }.get()
        }
        logger.log(level: configuration.lifecycleLogLevel, "dht node stopped", metadata: ["node_id": "\(nodeID.hex)"])
    }

    /// Writes the snapshot; a failure is logged, never fatal.
    private static func save(_ bytes: [UInt8], to directory: DataDirectory?, logger: Logger) {
        guard let directory else { return }
        do {
            try RoutingTableFile.save(bytes, to: directory)
            logger.debug("saved the routing table", metadata: ["path": "\(RoutingTableFile.path(in: directory))", "bytes": "\(bytes.count)"])
        } catch {
            logger.warning("cannot save the routing table", metadata: ["error": "\(error)"])
        }
    }
}
