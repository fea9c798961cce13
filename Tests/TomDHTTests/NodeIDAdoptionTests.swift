import Testing
import TomDHT

/// A node fed answers by hand: each answering node says at which address it saw us (`ip`).
struct AnsweredNode {
    var node: DHTNode
    var now = DHTTime.at(seconds: 100)
    var events: [DHTEvent] = []
    var sent: [OutgoingDatagram] = []

    init(config: DHTConfig = DHTConfig(), nodeID: NodeID? = nil, seed: UInt64 = 5) {
        node = DHTNode(config: config, nodeID: nodeID, seed: seed, now: now)
    }

    /// We ping `responder`, which answers with its id and the address it saw us at.
    mutating func answer(from responder: NodeInfo, sawUsAt external: DHTAddress) throws {
        node.ping(responder.address, now: now)
        let query = try #require(node.pollOutgoing().last)
        let transaction = try KRPCMessage.decode(query.bytes).transactionID
        let reply = KRPCMessage(
            transactionID: transaction,
            kind: .response(KRPCResponse(senderID: responder.id)),
            requesterAddress: external
        )
        node.handle(datagram: reply.encoded(), from: responder.address, now: now)
        sent += node.pollOutgoing()
        events += node.pollEvents()
    }

    /// `count` public responders with random ids, each answering once.
    mutating func answers(_ count: Int, sawUsAt external: DHTAddress, firstResponder: Int = 1) throws {
        var generator = DHTRandom(seed: UInt64(firstResponder))
        for number in firstResponder..<(firstResponder + count) {
            let address = DHTAddress(ip: .v4(IPv4Address(UInt32(0x5000_0000) + UInt32(number))), port: 6881)
            try answer(from: NodeInfo(id: .random(using: &generator), address: address), sawUsAt: external)
        }
    }

    var idChanges: [(from: NodeID, to: NodeID, selfLookup: OperationID)] {
        events.compactMap { event in
            if case .nodeIDChanged(let from, let to, let lookup) = event { return (from, to, lookup) }
            return nil
        }
    }

    var addressChanges: [IPAddress] {
        events.compactMap { event in
            if case .externalAddressChanged(let address) = event { return address }
            return nil
        }
    }
}

@Suite("BEP 42: our node id follows the external address")
struct NodeIDAdoptionTests {
    static let external = DHTAddress.v4(203, 0, 113, 7, port: 6881)

    @Test func threeAgreeingAnswersGiveUsACompliantIDAndKeepTheTable() throws {
        var fixture = AnsweredNode()
        let original = fixture.node.nodeID
        #expect(!NodeIDSecurity.idMatches(original, ip: Self.external.ip))
        try fixture.answers(2, sawUsAt: Self.external)
        #expect(fixture.node.nodeID == original)
        #expect(fixture.node.externalAddress == nil)

        try fixture.answers(1, sawUsAt: Self.external, firstResponder: 3)
        #expect(fixture.addressChanges == [Self.external.ip])
        #expect(fixture.node.externalAddress == Self.external.ip)
        let change = try #require(fixture.idChanges.first)
        #expect(fixture.idChanges.count == 1)
        #expect(change.from == original)
        #expect(change.to == fixture.node.nodeID)
        #expect(NodeIDSecurity.idMatches(fixture.node.nodeID, ip: Self.external.ip))
        #expect(fixture.node.routingTable.ownID == fixture.node.nodeID)
        // The three responders are still known, still confirmed.
        #expect(fixture.node.routingTable.count == 3)
        #expect(fixture.node.routingTable.entries.allSatisfy { $0.isConfirmed })

        // The self-lookup asks the known nodes for the new id, sent under the new id.
        let lookups = try fixture.sent.map { try KRPCMessage.decode($0.bytes) }.compactMap(\.query)
        let targets = lookups.compactMap { query -> NodeID? in
            if case .findNode(let arguments) = query.method { return arguments.target }
            return nil
        }
        #expect(targets.count == 3)
        #expect(targets.allSatisfy { $0 == fixture.node.nodeID })
        #expect(lookups.allSatisfy { $0.senderID == fixture.node.nodeID })

        // More agreeing answers change nothing.
        try fixture.answers(5, sawUsAt: Self.external, firstResponder: 10)
        #expect(fixture.idChanges.count == 1)
    }

    @Test func aCompliantIDIsKept() throws {
        var generator = DHTRandom(seed: 3)
        let compliant = NodeIDSecurity.secureID(for: Self.external.ip, using: &generator)
        var fixture = AnsweredNode(nodeID: compliant)
        try fixture.answers(4, sawUsAt: Self.external)
        #expect(fixture.addressChanges == [Self.external.ip])
        #expect(fixture.idChanges.isEmpty)
        #expect(fixture.node.nodeID == compliant)
    }

    @Test func localExternalAddressesNeverChangeTheID() throws {
        for text in ["192.168.1.20", "10.0.0.5", "127.0.0.1"] {
            var fixture = AnsweredNode()
            let original = fixture.node.nodeID
            let local = DHTAddress(ip: try #require(IPAddress(text)), port: 6881)
            try fixture.answers(4, sawUsAt: local)
            #expect(fixture.addressChanges == [local.ip])
            #expect(fixture.idChanges.isEmpty)
            #expect(fixture.node.nodeID == original)
        }
    }

    @Test func theSwitchTurnsItOff() throws {
        var config = DHTConfig()
        config.derivesNodeIDFromExternalAddress = false
        var fixture = AnsweredNode(config: config)
        let original = fixture.node.nodeID
        try fixture.answers(4, sawUsAt: Self.external)
        #expect(fixture.addressChanges == [Self.external.ip])
        #expect(fixture.idChanges.isEmpty)
        #expect(fixture.node.nodeID == original)
    }

    @Test func readOnlyNodesKeepTheirID() throws {
        var config = DHTConfig()
        config.isReadOnly = true
        var fixture = AnsweredNode(config: config)
        let original = fixture.node.nodeID
        try fixture.answers(4, sawUsAt: Self.external)
        #expect(fixture.idChanges.isEmpty)
        #expect(fixture.node.nodeID == original)
    }

    @Test func aNewAddressChangesTheIDAgain() throws {
        var fixture = AnsweredNode()
        try fixture.answers(3, sawUsAt: Self.external)
        let first = fixture.node.nodeID
        // Our address changes; new voters outnumber the old ones more than twice.
        let moved = DHTAddress.v4(198, 51, 100, 44, port: 6881)
        try fixture.answers(7, sawUsAt: moved, firstResponder: 100)
        #expect(fixture.addressChanges == [Self.external.ip, moved.ip])
        #expect(fixture.idChanges.count == 2)
        #expect(fixture.idChanges.last?.from == first)
        #expect(NodeIDSecurity.idMatches(fixture.node.nodeID, ip: moved.ip))
    }

    @Test func rebuildingKeepsNodesAndTheirHistory() throws {
        let start = DHTTime.at(seconds: 10)
        var generator = DHTRandom(seed: 8)
        var table = RoutingTable(ownID: .random(using: &generator), now: start)
        var confirmed: Set<NodeID> = []
        for number in 0..<200 {
            let node = NodeInfo(id: .random(using: &generator), address: .v4(80, 0, UInt8(number / 256), UInt8(number % 256), port: 6881))
            if number % 2 == 0 {
                table.recordResponse(from: node, at: start)
                confirmed.insert(node.id)
            } else {
                table.insertUnverified(node, at: start)
            }
        }
        let newID = NodeID.random(using: &generator)
        let rebuilt = table.rebuilt(around: newID, at: start + .seconds(1))
        #expect(rebuilt.ownID == newID)
        // Every node that is in the new table was in the old one, and confirmed ones stay so.
        let old = Dictionary(uniqueKeysWithValues: table.entries.map { ($0.id, $0) })
        let oldCandidates = Set((0..<table.bucketCount).flatMap { table.replacementCandidates(inBucket: $0) }.map(\.id))
        for entry in rebuilt.entries {
            #expect(old[entry.id] != nil || oldCandidates.contains(entry.id))
            #expect(entry.isConfirmed == confirmed.contains(entry.id))
        }
        // Where a bucket overflowed, confirmed nodes took the live slots first.
        var overflowing = 0
        for index in 0..<rebuilt.bucketCount where rebuilt.replacementCandidates(inBucket: index).contains(where: \.isConfirmed) {
            overflowing += 1
            #expect(rebuilt.entries(inBucket: index).allSatisfy { $0.isConfirmed })
        }
        #expect(overflowing > 0)
        // A small table fits whole.
        var small = RoutingTable(ownID: .random(using: &generator), now: start)
        for number in 0..<6 {
            small.recordResponse(from: NodeInfo(id: .random(using: &generator), address: .v4(81, 0, 0, UInt8(number), port: 1)), at: start)
        }
        let moved = small.rebuilt(around: .random(using: &generator), at: start)
        #expect(Set(moved.entries.map(\.id)) == Set(small.entries.map(\.id)))
        #expect(moved.entries.allSatisfy { $0.isConfirmed })
    }
}
