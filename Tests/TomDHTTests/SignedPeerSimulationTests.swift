import Testing
import TomDHT

@Suite("Signed peers on the virtual network", .serialized)
struct SignedPeerSimulationTests {
    /// Announces one key per node in `announcers`; returns the keys.
    func announce(_ network: inout VirtualNetwork, from announcers: [Int], infoHash: NodeID, keySeed: UInt8) -> [ItemSigningKey] {
        var keys: [ItemSigningKey] = []
        for (offset, index) in announcers.enumerated() {
            let key = ItemSigningKey(seed: [UInt8](repeating: keySeed &+ UInt8(offset), count: 32))!
            keys.append(key)
            let outcome = network.perform(on: index) { node, now in node.announceSignedPeer(infoHash, key: key, now: now) }
            guard case .signedPeerAnnounced(let summary) = outcome else {
                Issue.record("announce from \(index) did not finish: \(String(describing: outcome))")
                continue
            }
            #expect(summary.stored == 8, "node \(index): \(summary.stored) of \(summary.attempted) stored, errors \(summary.errors)")
        }
        return keys
    }

    @Test func peersAnnouncedByManyNodesAreAllFoundAndVerified() async throws {
        var sim = await SimulatedNetwork.shared.value
        let infoHash = NodeID.random(using: &sim.generator)
        let keys = announce(&sim.network, from: [10, 20, 30, 40, 50, 60], infoHash: infoHash, keySeed: 1)

        let outcome = sim.network.perform(on: 200) { node, now in node.getSignedPeers(infoHash, now: now) }
        guard case .signedPeersFound(let result) = outcome else {
            Issue.record("get_signed_peers did not finish: \(String(describing: outcome))")
            return
        }
        #expect(Set(result.signedPeers.map(\.publicKey)) == Set(keys.map(\.publicKey)))
        #expect(result.signedPeers.allSatisfy { $0.isValid(for: infoHash) })
        #expect(result.closestNodes.map(\.id) == sim.bruteForceClosest(to: infoHash, excluding: 200))
        // The closest nodes really hold them: each stored all six.
        for node in result.closestNodes {
            let index = try #require(sim.network.index(of: node.address))
            #expect(sim.network.nodes[index].signedPeerStore.allPeers(for: infoHash, now: sim.network.now).count == 6)
        }
        // Another hash has none.
        let empty = sim.network.perform(on: 200) { node, now in node.getSignedPeers(NodeID.random(using: &sim.generator), now: now) }
        guard case .signedPeersFound(let nothing) = empty else { Issue.record("lookup failed"); return }
        #expect(nothing.signedPeers.isEmpty)
    }

    @Test func aReannounceReplacesTheRecordWithTheNewerOne() async {
        var sim = await SimulatedNetwork.shared.value
        let infoHash = NodeID.random(using: &sim.generator)
        let first = announce(&sim.network, from: [15], infoHash: infoHash, keySeed: 40)
        sim.network.run(for: .seconds(60))
        _ = announce(&sim.network, from: [16], infoHash: infoHash, keySeed: 40)  // same key, a minute later

        let outcome = sim.network.perform(on: 99) { node, now in node.getSignedPeers(infoHash, now: now) }
        guard case .signedPeersFound(let result) = outcome else { Issue.record("lookup failed"); return }
        #expect(result.signedPeers.count == 1)
        #expect(result.signedPeers.first?.publicKey == first.first?.publicKey)
        let newest = sim.network.nodes[99].unixClock.microsecondsSinceEpoch(at: sim.network.now)
        #expect((result.signedPeers.first?.timestamp ?? 0) > newest - 30_000_000)
    }

    /// A network where a third of the nodes do not know the draft (they answer 204): the
    /// lookups go past them to the closest nodes that do.
    @Test func lookupsFindTheClosestSupportingNodesInAMixedNetwork() {
        var network = VirtualNetwork(settings: VirtualNetwork.Settings(seed: 31))
        var vanilla = DHTConfig()
        vanilla.answersSignedPeerQueries = false
        let count = 96
        for index in 0..<count { network.addNode(config: index % 3 == 2 ? vanilla : DHTConfig()) }
        let bootstrap = network.addresses[0]
        for index in 1..<count {
            network.withNode(index) { node, now in node.bootstrap(from: [bootstrap], now: now) }
            network.run(for: .milliseconds(20))
        }
        network.run(for: .seconds(30))

        var generator = DHTRandom(seed: 5)
        let infoHash = NodeID.random(using: &generator)
        let keys = announce(&network, from: [1, 4, 7], infoHash: infoHash, keySeed: 80)
        let outcome = network.perform(on: 90) { node, now in node.getSignedPeers(infoHash, now: now) }
        guard case .signedPeersFound(let result) = outcome else { Issue.record("lookup failed"); return }
        #expect(Set(result.signedPeers.map(\.publicKey)) == Set(keys.map(\.publicKey)))

        let supporting = network.nodes.enumerated().filter { $0.offset % 3 != 2 && $0.offset != 90 }.map(\.element.nodeID)
        let closestSupporting = supporting.sorted { $0.distance(to: infoHash) < $1.distance(to: infoHash) }.prefix(8)
        #expect(result.closestNodes.map(\.id) == Array(closestSupporting))
    }
}
