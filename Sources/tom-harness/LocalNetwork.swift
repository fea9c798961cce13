import Foundation
import Glibc

/// What `tom-harness migrate` starts on 127.0.0.1: one seed and `peers` peers of one topic.
struct LocalNetworkPlan: Sendable {
    var binary: String
    var peers: Int
    var topic: String
    var gatewayRefresh: Int
    var linkGrace: Int
    var logLevel: String
    var workDirectory: String
}

/// The running processes. Every node bootstraps its DHT from the others and links to the
/// peers statically (`--gateway`), so the network converges in about a second instead of
/// waiting for a DHT refresh; the seed only dials its links once it degrades.
final class LocalNetwork: Sendable {
    let seed: NodeProcess
    let peers: [NodeProcess]
    let workDirectory: String

    var all: [NodeProcess] { [seed] + peers }

    static func start(_ plan: LocalNetworkPlan) async throws -> LocalNetwork {
        let ports = try (0...plan.peers).map { _ in (ws: try FreePort.tcp(), dht: try FreePort.udp()) }
        let peerGateways = ports.dropFirst().map { "127.0.0.1:\($0.ws)" }
        let peerDHT = ports.dropFirst().map { "127.0.0.1:\($0.dht)" }
        var started: [NodeProcess] = []
        do {
            for (index, port) in ports.enumerated() {
                let name = index == 0 ? "seed" : "peer\(index)"
                let directory = plan.workDirectory + "/" + name
                var arguments = [
                    "--mode", index == 0 ? "seed" : "peer", "--host", "127.0.0.1", "--port", "\(port.ws)",
                    "--dht-port", "\(port.dht)", "--data-dir", directory, "--topic", plan.topic,
                    "--gateway-refresh", "\(plan.gatewayRefresh)", "--link-grace", "\(plan.linkGrace)",
                    "--log-level", plan.logLevel,
                ]
                let otherGateways = peerGateways.filter { $0 != "127.0.0.1:\(port.ws)" }
                let otherDHT = peerDHT.filter { $0 != "127.0.0.1:\(port.dht)" }
                if !otherGateways.isEmpty { arguments += ["--gateway", otherGateways.joined(separator: ",")] }
                // Never the public routers: the run stays on loopback.
                arguments += ["--bootstrap", otherDHT.isEmpty ? "127.0.0.1:\(ports[0].dht)" : otherDHT.joined(separator: ",")]
                started.append(
                    try NodeProcess(
                        name: name, binary: plan.binary, arguments: arguments,
                        address: ServerAddress(host: "127.0.0.1", port: port.ws), dhtPort: port.dht,
                        dataDirectory: directory, logFile: plan.workDirectory + "/" + name + ".log"))
            }
        } catch {
            for node in started { await node.stop(grace: .seconds(1)) }
            throw error
        }
        return LocalNetwork(seed: started[0], peers: Array(started.dropFirst()), workDirectory: plan.workDirectory)
    }

    /// Waits until every node answers /health; stops them all and throws if one does not.
    func awaitHealthy(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        for node in all where !(await NodeHTTP.waitHealthy(node.address, until: deadline)) {
            let tail = node.logTail()
            await stopAll()
            throw HarnessError("\(node.name) did not answer /health within \(limit); its log ends:\n\(tail)")
        }
    }

    private init(seed: NodeProcess, peers: [NodeProcess], workDirectory: String) {
        self.seed = seed
        self.peers = peers
        self.workDirectory = workDirectory
    }

    /// SIGTERM to every node still running (SIGKILL after a grace period).
    func stopAll() async {
        await withTaskGroup(of: Void.self) { group in
            for node in all { group.addTask { await node.stop() } }
        }
    }

    /// Makes a fresh private work directory under the system's temporary directory.
    static func makeWorkDirectory() throws -> String {
        let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        var template = Array((base + "tom-harness-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("cannot create a temporary directory") }
        return String(cString: made)
    }
}
