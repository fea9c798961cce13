import Bencode
import Dispatch
import Testing
import TomDHT

/// Whole networks of nodes on the virtual network: deterministic end-to-end checks of the core.
struct SimulatedNetwork {
    var network: VirtualNetwork
    var generator = DHTRandom(seed: 99)

    /// `count` nodes that each bootstrap off node 0, joining a few at a time.
    init(count: Int, lossProbability: Double = 0, seed: UInt64 = 7) {
        network = VirtualNetwork(settings: VirtualNetwork.Settings(lossProbability: lossProbability, seed: seed))
        for _ in 0..<count { network.addNode() }
        let bootstrap = network.addresses[0]
        for index in 1..<count {
            network.withNode(index) { node, now in node.bootstrap(from: [bootstrap], now: now) }
            network.run(for: .milliseconds(20))
        }
        network.run(for: .seconds(30))
    }

    /// Built once and copied by each test (the network is a value), so the bootstrap of a
    /// few hundred nodes is paid only once. It is built on a Dispatch thread and awaited:
    /// it takes most of a minute in a debug build, and tests blocked on a `static let`
    /// initializer would hold the Swift concurrency pool's threads (two on two cores), which
    /// stalled every other test of the run, timeouts included, until it was done.
    static let shared = Task {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: SimulatedNetwork(count: 256, seed: 7)) }
        }
    }

    var ids: [NodeID] { network.nodes.map(\.nodeID) }

    /// The true K closest ids to `target` among all nodes except `excluding`.
    func bruteForceClosest(to target: NodeID, count: Int = 8, excluding: Int) -> [NodeID] {
        let others = ids.enumerated().filter { $0.offset != excluding }.map(\.element)
        return Array(others.sorted { $0.distance(to: target) < $1.distance(to: target) }.prefix(count))
    }
}

@Suite("Virtual network simulations", .serialized)
struct SimulationTests {
    @Test func everyNodeBootstrapsAndLookupsFindTheTrueClosestNodes() async throws {
        var sim = await SimulatedNetwork.shared.value
        let bootstrapped = sim.network.events.filter {
            if case .operationCompleted(_, .bootstrapped(let summary)) = $0.event { return summary.contactsAnswered == 1 }
            return false
        }
        #expect(bootstrapped.count == 255)
        #expect(sim.network.nodes.allSatisfy { $0.routingTable.count >= 8 })

        var exact = 0
        var hops: [Int] = []
        let lookups = 40
        for _ in 0..<lookups {
            let origin = Int.random(in: 0..<sim.network.nodes.count, using: &sim.generator)
            let target = NodeID.random(using: &sim.generator)
            let outcome = sim.network.perform(on: origin) { node, now in node.findNode(target, now: now) }
            guard case .nodesFound(let result) = outcome else {
                Issue.record("lookup did not finish: \(String(describing: outcome))")
                continue
            }
            if result.closestNodes.map(\.id) == sim.bruteForceClosest(to: target, excluding: origin) { exact += 1 }
            hops.append(result.hops)
        }
        print("simulation: 256 nodes, \(exact)/\(lookups) lookups found the exact 8 closest, hops max \(hops.max() ?? 0), mean \(Double(hops.reduce(0, +)) / Double(max(hops.count, 1)))")
        #expect(exact == lookups)
    }

    @Test func itemsPutByOneNodeAreFoundByOthers() async throws {
        var sim = await SimulatedNetwork.shared.value
        // Immutable.
        let value = CanonicalBencode(["topic": "tom", "n": 1])
        let stored = sim.network.perform(on: 5) { node, now in node.putImmutable(value, now: now) }
        guard case .itemStored(let summary) = stored else { Issue.record("put failed: \(String(describing: stored))"); return }
        #expect(summary.stored == 8)
        let found = sim.network.perform(on: 150) { node, now in node.get(ItemTarget.immutable(value), now: now) }
        guard case .itemFound(let result) = found else { Issue.record("get failed"); return }
        #expect(result.item == .immutable(ImmutableItem(value: value)))

        // Mutable with salt: a newer seq wins, an older one is refused with 302.
        let key = ItemSigningKey.random(using: &sim.generator)
        let salt = Array("room".utf8)
        for seq: Int64 in [1, 2] {
            let outcome = sim.network.perform(on: 7) { node, now in
                node.putMutable(value: CanonicalBencode(.integer(seq * 100)), salt: salt, sequenceNumber: seq, key: key, now: now)
            }
            guard case .itemStored(let put) = outcome else { Issue.record("put failed"); return }
            #expect(put.stored == 8)
        }
        let stale = sim.network.perform(on: 9) { node, now in
            node.putMutable(value: CanonicalBencode("old"), salt: salt, sequenceNumber: 1, key: key, now: now)
        }
        guard case .itemStored(let refused) = stale else { Issue.record("put failed"); return }
        #expect(refused.stored == 0)
        #expect(refused.errors.allSatisfy { $0.code == .sequenceNumberLessThanCurrent })

        let mutable = sim.network.perform(on: 190) { node, now in node.getMutable(publicKey: key.publicKey, salt: salt, now: now) }
        guard case .itemFound(let latest) = mutable else { Issue.record("get failed"); return }
        #expect(latest.item?.sequenceNumber == 2)
        #expect(latest.item?.value == CanonicalBencode(.integer(200)))
    }

    @Test func announcedPeersAreFoundWithGetPeers() async throws {
        var sim = await SimulatedNetwork.shared.value
        let infoHash = NodeID.random(using: &sim.generator)
        for (index, port) in [(3, UInt16(5000)), (4, UInt16(5001))] {
            let outcome = sim.network.perform(on: index) { node, now in node.announce(infoHash, port: port, now: now) }
            guard case .announced(let summary) = outcome else { Issue.record("announce failed"); return }
            #expect(summary.stored == 8)
        }
        let implied = sim.network.perform(on: 6) { node, now in node.announce(infoHash, port: 1, impliedPort: true, now: now) }
        guard case .announced = implied else { Issue.record("announce failed"); return }

        let outcome = sim.network.perform(on: 120) { node, now in node.getPeers(infoHash, now: now) }
        guard case .peersFound(let result) = outcome else { Issue.record("get_peers failed"); return }
        let expected: Set<DHTAddress> = [
            DHTAddress(ip: sim.network.addresses[3].ip, port: 5000),
            DHTAddress(ip: sim.network.addresses[4].ip, port: 5001),
            sim.network.addresses[6],  // implied port: the DHT port the announce came from
        ]
        #expect(Set(result.peers) == expected)
    }

    @Test func lookupsSucceedWithFivePercentLoss() async throws {
        var sim = await SimulatedNetwork.shared.value
        sim.network.settings.lossProbability = 0.05
        let value = CanonicalBencode("lossy")
        let stored = sim.network.perform(on: 1) { node, now in node.putImmutable(value, now: now) }
        guard case .itemStored(let summary) = stored else { Issue.record("put failed"); return }
        #expect(summary.stored >= 6)

        var found = 0
        var closestMatches = 0
        let attempts = 20
        for _ in 0..<attempts {
            let origin = Int.random(in: 0..<sim.network.nodes.count, using: &sim.generator)
            let outcome = sim.network.perform(on: origin) { node, now in node.get(ItemTarget.immutable(value), now: now) }
            if case .itemFound(let result) = outcome, result.item != nil { found += 1 }
            let target = NodeID.random(using: &sim.generator)
            let lookup = sim.network.perform(on: origin) { node, now in node.findNode(target, now: now) }
            if case .nodesFound(let result) = lookup {
                let overlap = Set(result.closestNodes.map(\.id)).intersection(sim.bruteForceClosest(to: target, excluding: origin)).count
                if overlap >= 7 { closestMatches += 1 }
            }
        }
        print("simulation: 256 nodes, 5% loss: item found \(found)/\(attempts), >=7 of 8 closest in \(closestMatches)/\(attempts); lost \(sim.network.statistics.datagramsLost) of \(sim.network.statistics.datagramsSent)")
        #expect(found == attempts)
        #expect(closestMatches >= attempts - 1)
    }

    @Test func runsAreDeterministicForASeed() {
        func fingerprint() -> [String] {
            var sim = SimulatedNetwork(count: 24, lossProbability: 0.05, seed: 23)
            _ = sim.network.perform(on: 3) { node, now in node.findNode(NodeID.zero, now: now) }
            return sim.network.events.map { "\($0.node) \($0.event)" } + ["\(sim.network.statistics)", "\(sim.network.now)"]
        }
        #expect(fingerprint() == fingerprint())
    }
}
