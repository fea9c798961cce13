import ArgumentParser
import Logging
import ServiceLifecycle
import Prometheus
import TomCrypto
import TomDHTNIO
import TomGateway
import TomServer
import TomSignaling
import TomStore

@main
struct TomNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tom-node",
        abstract: "A ToM network node: the legacy signaling seed, or a Mainline DHT peer.",
        discussion: """
        Defaults are shown with each option. Environment: PORT (default for --port), \
        TOM_DATA_DIR (default for --data-dir). See Docs/operations.md.
        """,
        version: TomVersion.current,
        subcommands: [DHTCommand.self]
    )

    @OptionGroup var node: NodeOptions
    @OptionGroup var limits: LegacyLimitOptions
    @OptionGroup(title: "Peer mode (DHT) options") var dht: PeerDHTOptions
    @OptionGroup(title: "Gateway options (peers serving old clients; seeds that degrade)") var gateway: GatewayOptions

    mutating func run() async throws {
        let logger = Logging.bootstrap(level: node.logLevel, format: node.logFormat)
        let identity: NodeIdentity
        do {
            identity = try NodeIdentity.loadOrCreate(in: DataDirectory(path: node.resolvedDataDirectory))
        } catch {
            throw Failure("\(error)")
        }
        logger.info(
            identity.isNew ? "created node identity" : "loaded node identity",
            metadata: ["public_key": "\(identity.publicKeyHex)", "data_dir": "\(node.resolvedDataDirectory)"]
        )
        let openFiles = ResourceLimits.raiseOpenFileLimit()
        logger.debug("open file limit", metadata: ["limit": "\(openFiles)"])

        var configured = limits.settings
        configured.host = node.host
        configured.port = node.resolvedPort
        configured.servesLegacyClients = node.mode == .seed || !gateway.noLegacy
        let settings = configured
        let mode = node.mode
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let metrics = SignalingMetrics(factory: factory)
        let controller = GatewayController(
            node: node, dht: dht, options: gateway, identity: identity,
            coalesceParticipants: settings.coalesceParticipants, participantsBudget: settings.participantsBudget, gatewayMetrics: GatewayMetrics(factory: factory), logger: logger)
        let hub: any SignalingHub
        var mesh: MeshHub?
        if mode == .peer {
            do {
                try await controller.startDriver()
            } catch {
                throw Failure("cannot start the DHT node: \(error)")
            }
            mesh = controller.makeMeshHub(metrics: metrics)
            hub = mesh!
        } else {
            hub = LocalHub(
                metrics: metrics, coalesceParticipants: settings.coalesceParticipants,
                participantsBudget: settings.participantsBudget,
                registrationClock: { WallClock.microsecondsSinceEpoch() })
        }
        let server = SignalingServer(
            settings: settings, hub: hub, metrics: metrics, registry: registry,
            mode: mode.rawValue, publicKeyHex: identity.publicKeyHex, logger: logger)
        await controller.attach(server, mesh: mesh)
        let serverServices = server.services(onListening: { port in
            logger.info("listening", metadata: ["mode": "\(mode.rawValue)", "host": "\(settings.host)", "port": "\(port)"])
            await controller.listening(on: port)
        })
        let services: [any Service] = serverServices + [DegradeSignalService(controller: controller), GatewayService(controller: controller)]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            throw Failure("cannot serve on \(settings.host):\(settings.port): \(error)")
        }
        logger.info("stopped")
    }

    /// Parse errors are one line and exit code 2, as operators' scripts expect of a daemon.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            FileOutput.standardError("tom-node: \(failure.message)\n")
            Self.exit(withError: ExitCode(1))
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                Self.exit(withError: error)
            }
            if code == ExitCode.validationFailure {
                let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                FileOutput.standardError("tom-node: \(line) (see tom-node --help)\n")
                Self.exit(withError: ExitCode(2))
            }
            Self.exit(withError: error)
        }
    }
}

/// A fatal runtime error, reported as one line and exit code 1.
struct Failure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

extension CleanExit {
    /// `CleanExit.message` exits 0; a refusal must not look like success.
    var failing: Failure {
        Failure(description.replacingOccurrences(of: "tom-node: ", with: ""))
    }
}
