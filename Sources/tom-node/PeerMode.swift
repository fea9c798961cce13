import Logging
import ServiceLifecycle
import TomCrypto
import TomDHTNIO
import TomStore

/// `tom-node --mode peer`: a long-lived Mainline DHT node until SIGINT or SIGTERM.
enum PeerMode {
    static func run(node: NodeOptions, dht: PeerDHTOptions, identity: NodeIdentity, logger: Logger) async throws {
        logger.notice("""
        peer mode: running the DHT node only; the legacy WebSocket front end (and /health, \
        /status, /metrics) is not served in peer mode yet
        """)
        var configuration = DHTDriverConfiguration()
        configuration.host = node.host
        configuration.port = dht.dhtPort ?? 6881
        configuration.dataDirectory = DataDirectory(path: node.resolvedDataDirectory)
        configuration.saveInterval = .seconds(Int64(dht.saveInterval))
        let driver: DHTDriver
        do {
            driver = try await DHTDriver.start(configuration: configuration, logger: logger)
        } catch {
            throw Failure("\(error)")
        }
        let service = DHTPeerService(driver: driver, hosts: BootstrapResolver.list(dht.bootstrap), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("stopped")
    }
}

/// Joins (retrying with back-off), logs the node's state every minute, rejoins when the
/// routing table empties, and on graceful shutdown saves the table and closes the socket.
struct DHTPeerService: Service {
    let driver: DHTDriver
    let hosts: [String]
    let logger: Logger

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await maintain() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await driver.shutdown()
    }

    private func maintain() async {
        do {
            if !hosts.isEmpty { _ = try await driver.join(hosts: hosts) }
            while true {
                try await Task.sleep(for: .seconds(60))
                let status = try await driver.status()
                logger.info("dht status", metadata: [
                    "routing_table": "\(status.routingTableSize)", "confirmed": "\(status.confirmedNodes)",
                    "items": "\(status.storedItems)", "queries_received": "\(status.statistics.queriesReceived)",
                ])
                if status.routingTableSize == 0, !hosts.isEmpty {
                    logger.warning("the routing table is empty; joining again")
                    _ = try await driver.join(hosts: hosts)
                }
            }
        } catch {
            // Cancelled by shutdown.
        }
    }
}
