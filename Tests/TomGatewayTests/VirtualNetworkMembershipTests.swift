import TomCrypto
import TomDHT
import TomSignaling
import Testing
@testable import TomGateway

/// Membership and rosters through a simulated DHT only (no links): gateways announce under
/// the topic and put their signed pages; a newcomer finds every member with get_peers and
/// rebuilds each roster from the DHT, exactly as the refresh loop does.
@Suite struct VirtualNetworkMembershipTests {
    @Test func aNewcomerRebuildsEveryRosterFromTheDHT() throws {
        var network = VirtualNetwork(settings: VirtualNetwork.Settings(seed: 11))
        for _ in 0..<64 { network.addNode() }
        let bootstrap = network.addresses[0]
        for index in 1..<64 {
            network.withNode(index) { node, now in node.bootstrap(from: [bootstrap], now: now) }
            network.run(for: .milliseconds(20))
        }
        network.run(for: .seconds(30))
        // Loss once the network stands (a lost bootstrap ping would leave a node alone).
        network.settings.lossProbability = 0.05

        let topic = Topic(name: "simulated")
        let gateways = [10, 20, 30]
        var publishers: [RosterPublisher] = []
        for (rank, index) in gateways.enumerated() {
            let key = ItemSigningKey(seed: [UInt8](repeating: UInt8(rank + 1), count: 32))!
            var publisher = RosterPublisher(topic: topic, key: key, endpoints: ["ws://gateway-\(rank)"], now: 1_000)
            for client in 0..<12 {
                let participant = Participant(nodeId: "g\(rank)-client-\(client)-" + String(repeating: "f", count: 50), username: "user \(client)")
                _ = publisher.upsert(RosterEntry(participant: participant, registeredAt: Int64(rank * 100 + client)), now: Int64(2_000 + client))
            }
            publishers.append(publisher)
            let announced = network.perform(on: index) { node, now in node.announce(topic.hash, port: UInt16(3000 + rank), now: now) }
            guard case .announced(let summary) = announced, summary.stored > 0 else {
                Issue.record("announce by gateway \(rank) failed: \(String(describing: announced))")
                return
            }
            for item in publisher.currentItems {
                let stored = network.perform(on: index) { node, now in node.putMutable(item, now: now) }
                guard case .itemStored(let put) = stored, put.stored > 0 else {
                    Issue.record("put of page \(item.salt) failed: \(String(describing: stored))")
                    return
                }
            }
        }

        // The newcomer: members from get_peers, then manifest and pages from get.
        let newcomer = 50
        let found = network.perform(on: newcomer) { node, now in node.getPeers(topic.hash, now: now) }
        guard case .peersFound(let lookup) = found else { Issue.record("get_peers failed"); return }
        #expect(Set(lookup.peers.map(\.port)) == [3000, 3001, 3002])

        var directory = GatewayDirectory(topic: topic, ownKey: GatewayKey([UInt8](repeating: 0xee, count: 32))!)
        for publisher in publishers {
            let key = publisher.key.publicKey
            func fetch(page: Int) throws {
                let salt = topic.rosterSalt(page: page)
                let outcome = network.perform(on: newcomer) { node, now in
                    node.get(ItemTarget.mutable(publicKey: key, salt: salt), salt: salt, now: now)
                }
                guard case .itemFound(let result) = outcome, case .mutable(let item)? = result.item else {
                    Issue.record("page \(page) of \(Hex.encode(key).prefix(8)) not found")
                    return
                }
                _ = try directory.accept(item)
            }
            try fetch(page: 0)
            let roster = try #require(directory.roster(of: GatewayKey(key)!))
            for page in 1...(roster.manifest?.pageCount ?? 0) { try fetch(page: page) }
            #expect(directory.roster(of: GatewayKey(key)!)?.isComplete == true)
        }
        let view = ParticipantView(sources: publishers.map { publisher in
            (GatewayKey(publisher.key.publicKey)!, directory.roster(of: GatewayKey(publisher.key.publicKey)!)?.entries ?? [])
        })
        #expect(view.ordered.count == 36)
        #expect(view.participants.first?.nodeId.hasPrefix("g0-client-0-") == true)
        #expect(view.participants.last?.nodeId.hasPrefix("g2-client-11-") == true)
    }
}
