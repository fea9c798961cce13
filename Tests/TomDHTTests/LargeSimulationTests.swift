import Bencode
import Glibc
import Testing
@testable import TomDHT

extension SimulatedNetwork {
    /// `count` nodes whose routing tables are filled directly, as after a long run: each node
    /// is offered every other node, in its own shuffled order, as a node that answered it.
    /// The table keeps what BEP 5 allows (k per bucket, splitting only around our id, plus
    /// replacement candidates). Joining through the protocol costs about 160 queries per node,
    /// over 30 s for 500 nodes in a debug build; the 256-node `shared` network covers joining.
    init(prewired count: Int, seed: UInt64) {
        network = VirtualNetwork(settings: VirtualNetwork.Settings(seed: seed))
        generator = DHTRandom(seed: seed &+ 1)
        for _ in 0..<count { network.addNode() }
        let everyone = (0..<count).map { NodeInfo(id: network.nodes[$0].nodeID, address: network.addresses[$0]) }
        for index in 0..<count {
            let others = everyone.enumerated().filter { $0.offset != index }.map(\.element).shuffled(using: &generator)
            network.withNode(index) { node, now in
                for other in others { node.routingTable.recordResponse(from: other, at: now) }
            }
        }
    }
}

/// 500 nodes on the virtual network: lookups and storage at a size where most nodes know
/// only a small part of the network (about 50 of 499 nodes each).
@Suite("Virtual network: 500 nodes", .serialized)
struct LargeSimulationTests {
    static let shared = SimulatedNetwork(prewired: 500, seed: 500)

    @Test func everyLookupFindsTheExactClosestNodes() {
        var sim = Self.shared
        let tableSizes = sim.network.nodes.map(\.routingTable.count)
        #expect(tableSizes.allSatisfy { $0 >= 30 && $0 < 100 })

        var hops: [Int] = []
        var exact = 0
        let lookups = 20
        for number in 0..<lookups {
            let origin = Int.random(in: 0..<sim.network.nodes.count, using: &sim.generator)
            // Half random targets, half the id of an existing node (which must come first).
            let target = number.isMultiple(of: 2)
                ? NodeID.random(using: &sim.generator)
                : sim.ids[Int.random(in: 0..<sim.ids.count, using: &sim.generator)]
            let outcome = sim.network.perform(on: origin) { node, now in node.findNode(target, now: now) }
            guard case .nodesFound(let result) = outcome else {
                Issue.record("lookup did not finish: \(String(describing: outcome))")
                continue
            }
            if result.closestNodes.map(\.id) == sim.bruteForceClosest(to: target, excluding: origin) { exact += 1 }
            hops.append(result.hops)
        }
        print("simulation: 500 nodes, \(exact)/\(lookups) lookups found the exact 8 closest, tables \(tableSizes.min() ?? 0)-\(tableSizes.max() ?? 0) nodes, hops max \(hops.max() ?? 0)")
        #expect(exact == lookups)
    }

    @Test func itemsAndPeersStoredByOneNodeAreFoundByOthers() {
        var sim = Self.shared
        let value = CanonicalBencode(["room": "large", "n": 500])
        let stored = sim.network.perform(on: 11) { node, now in node.putImmutable(value, now: now) }
        guard case .itemStored(let summary) = stored else { Issue.record("put failed: \(String(describing: stored))"); return }
        #expect(summary.stored == 8)
        // The K nodes that stored it are the true K closest to its target.
        #expect(Set(summary.lookup.closestNodes.map(\.id)) == Set(sim.bruteForceClosest(to: summary.target, excluding: 11)))

        let key = ItemSigningKey.random(using: &sim.generator)
        let mutable = sim.network.perform(on: 222) { node, now in
            node.putMutable(value: CanonicalBencode("seq 3"), salt: Array("s".utf8), sequenceNumber: 3, key: key, now: now)
        }
        guard case .itemStored(let mutableSummary) = mutable else { Issue.record("put failed"); return }
        #expect(mutableSummary.stored == 8)

        let infoHash = NodeID.random(using: &sim.generator)
        let announced = sim.network.perform(on: 333) { node, now in node.announce(infoHash, port: 9000, now: now) }
        guard case .announced(let announce) = announced else { Issue.record("announce failed"); return }
        #expect(announce.stored == 8)

        for reader in [0, 123, 250, 499] {
            let found = sim.network.perform(on: reader) { node, now in node.get(summary.target, now: now) }
            guard case .itemFound(let result) = found else { Issue.record("get failed"); continue }
            #expect(result.item == .immutable(ImmutableItem(value: value)))
            let latest = sim.network.perform(on: reader) { node, now in node.getMutable(publicKey: key.publicKey, salt: Array("s".utf8), now: now) }
            guard case .itemFound(let mutableResult) = latest else { Issue.record("get failed"); continue }
            #expect(mutableResult.item?.sequenceNumber == 3)
            let peers = sim.network.perform(on: reader) { node, now in node.getPeers(infoHash, now: now) }
            guard case .peersFound(let peerResult) = peers else { Issue.record("get_peers failed"); continue }
            #expect(peerResult.peers == [DHTAddress(ip: sim.network.addresses[333].ip, port: 9000)])
        }
    }

    @Test func theSameOperationsReplayExactly() {
        func run() -> [String] {
            var sim = Self.shared
            _ = sim.network.perform(on: 42) { node, now in node.findNode(NodeID.zero, now: now) }
            _ = sim.network.perform(on: 43) { node, now in node.putImmutable(CanonicalBencode("replay"), now: now) }
            return sim.network.events.map { "\($0.node) \($0.event)" } + ["\(sim.network.statistics)", "\(sim.network.now)"]
        }
        #expect(run() == run())
    }

    /// The same size joined through the protocol, each node bootstrapping off node 0. Too
    /// slow for every run of the suite (over 30 s in a debug build), so it runs only with
    /// TOM_DHT_FULL_SIMULATION=1.
    @Test(.enabled(if: getenv("TOM_DHT_FULL_SIMULATION") != nil))
    func fiveHundredNodesJoinedThroughTheProtocol() {
        var sim = SimulatedNetwork(count: 500, seed: 11)
        let joined = sim.network.events.filter {
            if case .operationCompleted(_, .bootstrapped(let summary)) = $0.event { return summary.contactsAnswered == 1 }
            return false
        }
        #expect(joined.count == 499)
        var exact = 0
        let lookups = 20
        for _ in 0..<lookups {
            let origin = Int.random(in: 0..<sim.network.nodes.count, using: &sim.generator)
            let target = NodeID.random(using: &sim.generator)
            let outcome = sim.network.perform(on: origin) { node, now in node.findNode(target, now: now) }
            if case .nodesFound(let result) = outcome, result.closestNodes.map(\.id) == sim.bruteForceClosest(to: target, excluding: origin) {
                exact += 1
            }
        }
        print("simulation: 500 nodes joined through the protocol, \(exact)/\(lookups) exact, \(sim.network.statistics.datagramsSent) datagrams")
        #expect(exact == lookups)
    }
}
