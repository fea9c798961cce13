import Testing
import TomDHT

/// The virtual-network features the simulator added: departures, partitions, watched
/// traffic and quantile latencies.
@Suite("Virtual network extensions")
struct VirtualNetworkExtensionTests {
    static func pair(_ settings: VirtualNetwork.Settings = VirtualNetwork.Settings()) -> VirtualNetwork {
        var network = VirtualNetwork(settings: settings)
        network.addNode()
        network.addNode()
        return network
    }

    @Test func aNodeThatLeftAnswersNothing() {
        var network = Self.pair()
        let address = network.addresses[1]
        #expect(network.perform(on: 0) { node, now in node.ping(address, now: now) } != .pinged(nil))
        network.removeNode(1)
        #expect(!network.isLive[1])
        #expect(network.index(of: address) == nil)
        #expect(network.perform(on: 0) { node, now in node.ping(address, now: now) } == .pinged(nil))
        #expect(network.statistics.datagramsUndeliverable >= 1)
    }

    @Test func partitionsDropDatagramsBetweenGroupsUntilLifted() {
        var network = Self.pair()
        let address = network.addresses[1]
        network.partitionGroups = [0, 1]
        #expect(network.perform(on: 0) { node, now in node.ping(address, now: now) } == .pinged(nil))
        #expect(network.statistics.datagramsPartitioned == 1)
        network.partitionGroups = []
        #expect(network.perform(on: 0) { node, now in node.ping(address, now: now) } != .pinged(nil))
    }

    @Test func watchedNodesHaveTheirTrafficRecorded() {
        var network = Self.pair()
        let address = network.addresses[1]
        network.watch(0, true)
        _ = network.perform(on: 0) { node, now in node.ping(address, now: now) }
        let traffic = network.takeWatchedTraffic()
        // Our ping and its answer (node 1 may also have pinged us back to verify us).
        #expect(Array(traffic.map(\.direction).prefix(2)) == [.sent, .received])
        #expect(traffic.allSatisfy { $0.node == 0 && $0.peer == address })
        #expect(network.statistics.bytesSent >= traffic.map(\.bytes.count).reduce(0, +))
        network.watch(0, false)
        _ = network.perform(on: 0) { node, now in node.ping(address, now: now) }
        #expect(network.takeWatchedTraffic().isEmpty)
        #expect(network.takeEvents().count >= 2)
        #expect(network.events.isEmpty)
    }

    @Test func quantileLatenciesAreDrawnFromTheTable() {
        let table: [DHTDuration] = [.milliseconds(40), .milliseconds(40)]
        var network = Self.pair(VirtualNetwork.Settings(latencyDistribution: .quantiles(table)))
        let address = network.addresses[1]
        let start = network.now
        _ = network.perform(on: 0) { node, now in node.ping(address, now: now) }
        #expect(network.now.elapsed(since: start) == .milliseconds(80))
    }

    @Test func vanillaNodesRefuseItemQueriesButRoute() {
        var network = VirtualNetwork()
        var vanilla = DHTConfig()
        vanilla.answersItemQueries = false
        network.addNode(config: vanilla)
        network.addNode()
        let address = network.addresses[0]
        _ = network.perform(on: 1) { node, now in node.bootstrap(from: [address], now: now) }
        guard case .itemFound(let result) = network.perform(on: 1, { node, now in node.get(NodeID.zero, now: now) }) else {
            Issue.record("get did not complete")
            return
        }
        #expect(result.responses == 0)
        guard case .nodesFound(let lookup) = network.perform(on: 1, { node, now in node.findNode(NodeID.zero, now: now) }) else {
            Issue.record("find_node did not complete")
            return
        }
        #expect(lookup.responses == 1)
    }
}
