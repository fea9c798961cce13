import Testing
import TomDHT

@Suite("BEP 42: enforcing others' node ids")
struct NodeIDEnforcementTests {
    static let publicAddress = DHTAddress.v4(203, 0, 113, 50, port: 6881)

    static func enforcing(_ on: Bool = true) -> DHTNode {
        var config = DHTConfig()
        config.enforceNodeIDs = on
        return DHTNode(config: config, seed: 11, now: .at(seconds: 100))
    }

    static func compliantID(for address: DHTAddress) -> NodeID {
        var generator = DHTRandom(seed: 4)
        return NodeIDSecurity.secureID(for: address.ip, using: &generator)
    }

    static let freeID = NodeID(bytes: Array("free-chosen-node-id!".utf8))!

    /// `sender` pings `node`; returns what the node sent back.
    static func query(_ node: inout DHTNode, from sender: NodeInfo) -> [OutgoingDatagram] {
        let ping = KRPCMessage(transactionID: [7, 7], kind: .query(KRPCQuery(senderID: sender.id, method: .ping)))
        node.handle(datagram: ping.encoded(), from: sender.address, now: .at(seconds: 100))
        return node.pollOutgoing()
    }

    @Test func freeIDsOnPublicAddressesAreAnsweredButNotKept() throws {
        var node = Self.enforcing()
        #expect(!NodeIDSecurity.idMatches(Self.freeID, ip: Self.publicAddress.ip))
        let sent = Self.query(&node, from: NodeInfo(id: Self.freeID, address: Self.publicAddress))
        // Answered, but neither added nor pinged for verification.
        #expect(sent.count == 1)
        #expect(try KRPCMessage.decode(sent[0].bytes).response != nil)
        #expect(node.routingTable.count == 0)
    }

    @Test func compliantIDsAreKept() {
        var node = Self.enforcing()
        let id = Self.compliantID(for: Self.publicAddress)
        let sent = Self.query(&node, from: NodeInfo(id: id, address: Self.publicAddress))
        #expect(sent.count == 2)  // the answer, then a verification ping
        #expect(node.routingTable.contains(id))
    }

    @Test func localAddressesAreExempt() {
        var node = Self.enforcing()
        for (number, address) in [DHTAddress.v4(192, 168, 0, 9, port: 1), .v4(10, 1, 1, 1, port: 2), .v4(127, 0, 0, 1, port: 3)].enumerated() {
            var id = Self.freeID.bytes
            id[19] = UInt8(number)
            _ = Self.query(&node, from: NodeInfo(id: NodeID(bytes: id)!, address: address))
        }
        #expect(node.routingTable.count == 3)
    }

    @Test func answersFromFreeIDsDoNotEnterTheTable() throws {
        var node = Self.enforcing()
        let id = node.ping(Self.publicAddress, now: .at(seconds: 100))
        let query = try #require(node.pollOutgoing().first)
        let transaction = try KRPCMessage.decode(query.bytes).transactionID
        let reply = KRPCMessage(transactionID: transaction, kind: .response(KRPCResponse(senderID: Self.freeID)))
        node.handle(datagram: reply.encoded(), from: Self.publicAddress, now: .at(seconds: 100))
        // The ping itself succeeds: the answer is used, the node is just not kept.
        #expect(node.pollEvents() == [.operationCompleted(id, .pinged(NodeInfo(id: Self.freeID, address: Self.publicAddress)))])
        #expect(node.routingTable.count == 0)
    }

    @Test func offByDefault() {
        #expect(DHTConfig().enforceNodeIDs == false)
        var node = Self.enforcing(false)
        _ = Self.query(&node, from: NodeInfo(id: Self.freeID, address: Self.publicAddress))
        #expect(node.routingTable.contains(Self.freeID))
    }
}
