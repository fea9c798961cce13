import Logging
import ServiceLifecycle
import TomCrypto
import TomDHT
import TomDHTNIO
import TomGateway
import TomGatewayNIO
import TomServer
import TomSignaling
import UnixSignals

/// Owns the node's life as a gateway: the DHT driver, the mesh hub and the runtime that
/// links it to the other gateways. A peer starts as one; a seed becomes one when it degrades
/// (`--degrade-after`, SIGUSR1, `POST /admin/degrade`), keeping every client connected.
actor GatewayController {
    private let node: NodeOptions
    private let dht: PeerDHTOptions
    private let options: GatewayOptions
    private let key: ItemSigningKey
    private let topic: Topic
    private let gatewayMetrics: GatewayMetrics
    private let coalesceParticipants: Duration
    private let participantsBudget: RateLimit
    private let logger: Logger

    private var server: SignalingServer?
    private var listeningPort: Int?
    private var driver: DHTDriver?
    private var mesh: MeshHub?
    private var runtime: GatewayRuntime?
    private var tasks: [Task<Void, Never>] = []
    private var degrading = false

    init(
        node: NodeOptions, dht: PeerDHTOptions, options: GatewayOptions, identity: NodeIdentity,
        coalesceParticipants: Duration, participantsBudget: RateLimit, gatewayMetrics: GatewayMetrics, logger: Logger
    ) {
        self.coalesceParticipants = coalesceParticipants
        self.participantsBudget = participantsBudget
        self.node = node
        self.dht = dht
        self.options = options
        self.key = ItemSigningKey(identity.keyPair)
        self.topic = Topic(name: options.topic)
        self.gatewayMetrics = gatewayMetrics
        self.logger = logger
    }

    /// Starts the DHT node of a peer; a failure (port in use) ends the process.
    func startDriver() async throws {
        driver = try await DHTDriver.start(configuration: PeerMode.driverConfiguration(node: node, dht: dht), logger: logger)
        logger.info("gateway topic", metadata: ["topic": "\(topic.name)", "hash": "\(topic.hash.hex)"])
    }

    /// The peer's hub, built before the server exists; its DHT work starts once the server listens.
    nonisolated func makeMeshHub(metrics: SignalingMetrics, adopting adopted: [HandedOverRegistration] = []) -> MeshHub {
        var settings = MeshHub.Settings()
        settings.linkGrace = .seconds(options.linkGrace)
        settings.coalesceParticipants = coalesceParticipants
        settings.participantsBudget = participantsBudget
        return MeshHub(
            key: key,
            topic: topic,
            endpoints: [],
            settings: settings,
            metrics: metrics,
            gatewayMetrics: gatewayMetrics,
            clock: { WallClock.microsecondsSinceEpoch() },
            publishToDHT: { [weak self] items in
                guard let self else { return }
                Task { await self.runtime?.publish(items) }
            },
            adopting: adopted,
            logger: logger
        )
    }

    func attach(_ server: SignalingServer, mesh: MeshHub?) {
        self.server = server
        self.mesh = mesh
        server.setAdminAction("degrade") { [weak self] in
            await self?.degrade() ?? "shutting down"
        }
    }

    func listening(on port: Int) async {
        listeningPort = port
        if let mesh { await startGateway(mesh) }
        if let seconds = options.degradeAfter, mesh == nil {
            tasks.append(Task { [weak self] in
                try? await Task.sleep(for: .seconds(seconds))
                guard !Task.isCancelled else { return }
                _ = await self?.degrade()
            })
        }
    }

    /// Turns this seed into a peer without closing any WebSocket. Idempotent.
    func degrade() async -> String {
        guard let server, mesh == nil, !degrading else { return "already a peer" }
        guard let localHub = server.hub as? LocalHub else { return "this hub cannot degrade" }
        degrading = true
        defer { degrading = false }
        logger.notice("degrading: this seed becomes an ordinary DHT peer; clients stay connected")
        do {
            try await startDriver()
        } catch {
            logger.error("cannot degrade: the DHT node did not start", metadata: ["error": "\(error)"])
            return "failed: \(error)"
        }
        let metrics = server.metrics
        let mesh = await localHub.handOver { adopted in makeMeshHub(metrics: metrics, adopting: adopted) }
        server.replaceHub(with: mesh, mode: NodeMode.peer.rawValue)
        self.mesh = mesh
        await startGateway(mesh)
        let count = await mesh.snapshot().registeredParticipants
        logger.notice("degraded into a peer", metadata: ["clients_kept": "\(count)"])
        return "degraded; \(count) participants kept"
    }

    private func startGateway(_ mesh: MeshHub) async {
        guard let server, let driver, let port = listeningPort, runtime == nil else { return }
        let advertised = options.advertise.map(GatewayOptions.list)
            ?? (["0.0.0.0", "::", ""].contains(node.host) ? [] : ["ws://\(node.host):\(port)"])
        await mesh.setEndpoints(advertised)
        let runtime = GatewayRuntime(
            hub: mesh, driver: driver, key: key, topic: topic, advertisedPort: port,
            settings: options.settings, logger: logger)
        self.runtime = runtime
        server.route(GatewayRuntime.linkPath, maxMessageBytes: LinkSession.Settings().maxFrameBytes) { frames, socket in
            await runtime.accept(
                frames: frames,
                transport: LinkTransport(send: socket.send, close: socket.close, remote: socket.remoteAddress))
        }
        let hosts = BootstrapResolver.list(dht.bootstrap)
        let logger = logger
        tasks.append(Task { await PeerMode.maintain(driver: driver, hosts: hosts, logger: logger) })
        tasks.append(Task { await runtime.run() })
    }

    /// Clean exit: tell the other gateways and the DHT we are leaving, then stop the DHT node
    /// (which saves its routing table).
    func shutdown() async {
        for task in tasks { task.cancel() }
        if let runtime {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await runtime.withdraw() }
                group.addTask { try? await Task.sleep(for: .seconds(2)) }
                await group.next()
                group.cancelAll()
            }
        }
        await driver?.shutdown()
    }
}

/// Runs until graceful shutdown, then withdraws the gateway. Placed last in the service
/// group, so it stops first, while links and sockets are still open.
struct GatewayService: Service {
    let controller: GatewayController

    func run() async throws {
        try? await gracefulShutdown()
        await controller.shutdown()
    }
}

/// Degrades a seed on SIGUSR1.
struct DegradeSignalService: Service {
    let controller: GatewayController

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigusr1)
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = await controller.degrade()
        }
    }
}
