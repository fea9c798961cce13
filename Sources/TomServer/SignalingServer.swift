import CoreMetrics
import Hummingbird
import HummingbirdCore
import Logging
import NIOHTTP1
import NIOWebSocket
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import TomSignaling

/// The legacy front end on one TCP port: `/health`, `/status`, `/metrics` and the WebSocket
/// endpoint (any path), wired to a `SignalingHub`.
public final class SignalingServer: Sendable {
    public let settings: ServerSettings
    public let metrics: SignalingMetrics
    public let registry: PrometheusCollectorRegistry
    let hubSlot: HubSlot
    let admission: ConnectionAdmission
    let live = LiveConnections()
    let hubInbox = HubInbox()
    let logger: Logger
    let publicKeyHex: String
    /// The server key every authenticated register signs over, decoded once.
    let registerAuthServerKey: [UInt8]
    private let routes = NIOLockedValueBox<[String: (handler: WebSocketRouteHandler, maxMessageBytes: Int)]>([:])
    private let adminActions = NIOLockedValueBox<[String: AdminAction]>([:])
    private let startedAt = ContinuousClock.now
    private let nextConnectionID = Atomic<UInt64>(0)
    private let openConnectionsGauge: CoreMetrics.Gauge

    public init(
        settings: ServerSettings,
        hub: any SignalingHub,
        metrics: SignalingMetrics,
        registry: PrometheusCollectorRegistry,
        mode: String,
        publicKeyHex: String,
        logger: Logger
    ) {
        self.settings = settings
        self.hubSlot = HubSlot(hub, mode: mode)
        self.metrics = metrics
        self.registry = registry
        self.publicKeyHex = publicKeyHex
        self.registerAuthServerKey = RegisterAuthenticator.serverKey(fromHex: publicKeyHex)
        self.logger = logger
        self.admission = ConnectionAdmission(
            maxConnections: settings.maxConnections,
            maxPerAddress: settings.maxConnectionsPerIP,
            limitLoopback: settings.limitLoopback
        )
        self.openConnectionsGauge = CoreMetrics.Gauge(label: "tom_open_connections", factory: PrometheusMetricsFactory(registry: registry))
    }

    /// A server whose metrics live in a fresh Prometheus registry of its own.
    public convenience init(settings: ServerSettings, hub: (SignalingMetrics) -> any SignalingHub, mode: String, publicKeyHex: String, logger: Logger) {
        let registry = PrometheusCollectorRegistry()
        let metrics = SignalingMetrics(factory: PrometheusMetricsFactory(registry: registry))
        self.init(settings: settings, hub: hub(metrics), metrics: metrics, registry: registry, mode: mode, publicKeyHex: publicKeyHex, logger: logger)
    }

    /// The services to run, in start order. Graceful shutdown runs in reverse: first every
    /// WebSocket is closed with 1001, then the HTTP server stops.
    public func services(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        [HubDelivery(server: self), makeApplication(onListening: onListening), ConnectionDrain(server: self)]
    }

    /// The hub serving legacy clients now.
    public var hub: any SignalingHub { hubSlot.current }

    public var mode: String { hubSlot.mode }

    /// Serves every legacy message from `successor` from now on (a seed degrading into a peer).
    public func replaceHub(with successor: any SignalingHub, mode: String) {
        hubSlot.replace(with: successor, mode: mode)
    }

    /// Serves WebSocket upgrades on `path` with `handler` instead of the legacy protocol;
    /// nil gives the path back to legacy clients. Messages may be up to `maxMessageBytes`
    /// (frames are still limited to `--max-message-bytes`; larger messages come fragmented).
    public func route(_ path: String, maxMessageBytes: Int, to handler: WebSocketRouteHandler?) {
        routes.withLockedValue { $0[path] = handler.map { ($0, maxMessageBytes) } }
    }

    /// An action run by `POST /admin/NAME` from a loopback address; it returns a short result.
    public typealias AdminAction = @Sendable () async -> String

    public func setAdminAction(_ name: String, _ action: AdminAction?) {
        adminActions.withLockedValue { $0[name] = action }
    }

    public func status() async -> NodeStatus {
        let snapshot = await hub.snapshot()
        return NodeStatus(
            mode: mode,
            publicKey: publicKeyHex,
            version: TomVersion.current,
            uptimeSeconds: Int((ContinuousClock.now - startedAt).components.seconds),
            connections: admission.openConnections,
            participants: snapshot.registeredParticipants,
            gatewayLinks: snapshot.gatewayLinks
        )
    }

    // MARK: - Assembly

    private func makeApplication(onListening: @escaping @Sendable (Int) async -> Void) -> some Service {
        let endpoints = HTTPEndpoints(
            registry: registry,
            status: { [self] in
                let status = await status()
                openConnectionsGauge.record(status.connections)
                return status
            },
            adminAction: { [self] name in adminActions.withLockedValue { $0[name] } }
        )
        let builder = HTTPServerBuilder { [self] responder in
            try ServerTLS.wrap(AdmittingChildChannel(
                inner: HTTPWebSocketChannel(
                    responder: responder,
                    http1: .init(idleTimeout: .seconds(120)),
                    maxFrameBytes: settings.maxMessageBytes,
                    upgrade: { head, channel, logger in self.upgrade(head, channel: channel, logger: logger) }
                ),
                admission: admission,
                requestHeadTimeout: settings.requestHeadTimeout.timeAmount,
                onRefusal: { [metrics] _ in metrics.countError("rejected_connection") }
            ), files: settings.tls)
        }
        return Application(
            responder: CallbackResponder<EndpointContext> { request, context in
                await endpoints.respond(to: request, context: context)
            },
            server: builder,
            configuration: .init(address: .hostname(settings.host, port: settings.port), backlog: settings.listenBacklog),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// Accepts every upgrade (any path) and echoes the first offered subprotocol, as the `ws`
    /// library did: browsers fail the connection when an offered protocol is not answered.
    private func upgrade(_ head: HTTPRequestHead, channel: any Channel, logger: Logger) -> WebSocketUpgrade? {
        var headers = HTTPHeaders()
        let offeredProtocols = head.headers[canonicalForm: "sec-websocket-protocol"].map(String.init)
        if let first = offeredProtocols.first, !first.isEmpty {
            headers.add(name: "sec-websocket-protocol", value: first)
        }
        let id = nextConnectionID.wrappingAdd(1, ordering: .relaxed).newValue
        let remote = channel.remoteAddress?.description ?? "unknown"
        var logger = logger
        logger[metadataKey: "conn"] = "\(id)"
        logger[metadataKey: "peer"] = "\(remote)"
        if let route = routes.withLockedValue({ $0[head.uri] }) {
            return WebSocketUpgrade(headers: headers) { [settings] channel in
                try Self.installRoute(route, remote: remote, on: channel, settings: settings)
            }
        }
        guard settings.servesLegacyClients else { return nil }
        let asksForAuth = RegisterAuthenticator.offered(in: offeredProtocols)
        if asksForAuth { headers.replaceOrAdd(name: "sec-websocket-protocol", value: RegisterAuth.subprotocol) }
        let plan = LegacyConnectionPlan(
            session: ClientSession(id: id, remoteAddress: remote, outbox: Outbox(limitBytes: settings.outboxLimitBytes)),
            server: self,
            logger: logger,
            clientAskedForAuth: asksForAuth
        )
        let connection = WebSocketConnectionHandler.Settings(
            maxMessageBytes: settings.maxMessageBytes,
            pingInterval: settings.pingInterval.timeAmount,
            closeTimeout: settings.closeTimeout.timeAmount
        )
        return WebSocketUpgrade(headers: headers) { [metrics] channel in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(WebSocketConnectionHandler(settings: connection) { kind in metrics.countError(kind) })
            try pipeline.addHandler(LegacyMessageHandler(plan: plan))
            return nil
        }
    }

    /// A routed WebSocket: whole messages through an `NIOAsyncChannel`, read by the route's
    /// handler in the connection's task.
    private static func installRoute(
        _ route: (handler: WebSocketRouteHandler, maxMessageBytes: Int),
        remote: String,
        on channel: any Channel,
        settings: ServerSettings
    ) throws -> @Sendable () async -> Void {
        let connection = WebSocketConnectionHandler.Settings(
            maxMessageBytes: route.maxMessageBytes, pingInterval: nil, closeTimeout: settings.closeTimeout.timeAmount)
        let maxFrameBytes = settings.maxMessageBytes
        try channel.pipeline.syncOperations.addHandler(WebSocketConnectionHandler(settings: connection) { _ in })
        let asyncChannel = try NIOAsyncChannel<WebSocketDataMessage, WebSocketFrame>(wrappingChannelSynchronously: channel)
        return {
            try? await asyncChannel.executeThenClose { inbound, outbound in
                let socket = RoutedWebSocket(
                    remoteAddress: remote,
                    send: { bytes in
                        try await outbound.write(contentsOf: WebSocketFrame.fragments(ofBinary: bytes, maxFrameBytes: maxFrameBytes))
                    },
                    close: {
                        channel.triggerUserOutboundEvent(WebSocketCloseRequest(code: .normalClosure, reason: nil), promise: nil)
                    }
                )
                await route.handler(inbound.map { Array(buffer: $0.bytes) }, socket)
            }
        }
    }
}

/// Hands the legacy connections' messages to the hub (`HubInbox`) from before the first
/// connection until after the last one has closed: started first, it is stopped last.
struct HubDelivery: Service {
    let server: SignalingServer

    func run() async throws {
        let inbox = server.hubInbox
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await inbox.run(delivering: server.hubSlot)
            } onGracefulShutdown: {
                inbox.finish()
            }
        } onCancel: {
            inbox.finish()
        }
    }
}

/// Runs until graceful shutdown, then refuses new connections and closes the open ones
/// with 1001 before the HTTP server itself is asked to stop.
struct ConnectionDrain: Service {
    let server: SignalingServer

    func run() async throws {
        try? await gracefulShutdown()
        server.admission.startDraining()
        let open = server.live.count
        server.logger.info("shutting down", metadata: ["open_websockets": "\(open)"])
        await server.live.closeAll(code: .goingAway, reason: "server shutting down", timeout: server.settings.closeTimeout)
    }
}
