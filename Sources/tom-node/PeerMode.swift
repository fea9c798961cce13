import Logging
import TomDHTNIO
import TomStore

/// The DHT side of `--mode peer` (and of a seed once it degrades).
enum PeerMode {
    static func driverConfiguration(node: NodeOptions, dht: PeerDHTOptions) -> DHTDriverConfiguration {
        var configuration = DHTDriverConfiguration()
        configuration.host = node.host
        configuration.port = dht.dhtPort ?? 6881
        configuration.dataDirectory = DataDirectory(path: node.resolvedDataDirectory)
        configuration.saveInterval = .seconds(Int64(dht.saveInterval))
        dht.apply(to: &configuration.dht)
        return configuration
    }

    /// Joins (retrying with back-off), logs the node's state every minute, and rejoins when
    /// the routing table empties. Runs until cancelled.
    static func maintain(driver: DHTDriver, hosts: [String], logger: Logger) async {
        do {
            if !hosts.isEmpty { _ = try await driver.join(hosts: hosts) }
            while true {
                try await Task.sleep(for: .seconds(60))
                let status = try await driver.status()
                logger.info("dht status", metadata: [
                    "routing_table": "\(status.routingTableSize)", "confirmed": "\(status.confirmedNodes)",
                    "items": "\(status.storedItems)", "queries_received": "\(status.statistics.queriesReceived)",
                    "rate_limited": "\(status.statistics.datagramsRateLimited)", "bans": "\(status.statistics.addressesBanned)",
                    "stores_refused_per_ip": "\(status.statistics.storesRefusedByAddressQuota)",
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
