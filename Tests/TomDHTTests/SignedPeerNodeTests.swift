import Bencode
import Testing
import TomDHT

@Suite("Signed peers: answering and asking, one node")
struct SignedPeerNodeTests {
    let infoHash = NodeID(bytes: Array("hhhhhhhhhhhhhhhhhhhh".utf8))!
    let unixNow: Int64 = 1_761_300_000_000_000

    func fixture(config: DHTConfig = DHTConfig()) -> ServerFixture {
        var fixture = ServerFixture(config: config)
        fixture.node.setUnixTime(microsecondsSinceEpoch: unixNow, now: fixture.start)
        return fixture
    }

    func announce(_ fixture: ServerFixture, _ peer: SignedPeer, token: [UInt8]) -> [UInt8] {
        let arguments = AnnounceSignedPeerArguments(infoHash: infoHash, token: token, peer: peer)
        return KRPCMessage(transactionID: Array("aa".utf8), kind: .query(KRPCQuery(senderID: fixture.querierID, method: .announceSignedPeer(arguments)))).encoded()
    }

    func getSignedPeers(_ fixture: ServerFixture) -> [UInt8] {
        KRPCMessage(transactionID: Array("aa".utf8), kind: .query(KRPCQuery(
            senderID: fixture.querierID, method: .getSignedPeers(GetPeersArguments(infoHash: infoHash))))).encoded()
    }

    @Test func anAnnounceNeedsTheTokenAValidSignatureAndAFreshTimestamp() throws {
        var fixture = fixture()
        let contact = NodeInfo(id: NodeID(bytes: [UInt8](repeating: 0x68, count: 20))!, address: .v4(9, 9, 9, 9, port: 7000))
        try fixture.confirm(contact)
        let empty = try fixture.reply(getSignedPeers(fixture))
        let token = try #require(empty.response?.token)
        #expect(empty.response?.signedPeers == nil)  // no records: no `peers` key at all
        #expect(empty.response?.nodes == [contact])

        let key = try #require(ItemSigningKey(seed: [UInt8](repeating: 1, count: 32)))
        let peer = SignedPeer.signed(infoHash: infoHash, timestamp: unixNow - 5_000_000, key: key)

        let forgedToken = try fixture.reply(announce(fixture, peer, token: Array("xxxxxxxx".utf8)))
        #expect(forgedToken.errorReply == KRPCErrorReply(code: .protocolError, message: "invalid token"))
        let elsewhere = try fixture.reply(announce(fixture, peer, token: token), from: .v4(5, 5, 5, 5, port: 6881))
        #expect(elsewhere.errorReply?.code == .protocolError)

        var forged = peer
        forged.signature[0] ^= 1
        let badSignature = try fixture.reply(announce(fixture, forged, token: token))
        #expect(badSignature.errorReply == KRPCErrorReply(code: .protocolError, message: SignedPeerRejection.invalidSignature.message))
        let stale = SignedPeer.signed(infoHash: infoHash, timestamp: unixNow - 46_000_000, key: key)
        #expect(try fixture.reply(announce(fixture, stale, token: token)).errorReply?.message == SignedPeerRejection.timestampTooOld.message)
        let future = SignedPeer.signed(infoHash: infoHash, timestamp: unixNow + 46_000_000, key: key)
        #expect(try fixture.reply(announce(fixture, future, token: token)).errorReply?.message == SignedPeerRejection.timestampInFuture.message)
        #expect(fixture.node.signedPeerStore.count == 0)

        let accepted = try fixture.reply(announce(fixture, peer, token: token))
        #expect(accepted.response == KRPCResponse(senderID: fixture.ownID))
        let served = try #require(try fixture.reply(getSignedPeers(fixture)).response)
        #expect(served.signedPeers == [peer])
        #expect(served.token == token)
        #expect(served.nodes == [contact])
        // Plain get_peers knows nothing of signed peers.
        let plain = try fixture.reply(fixture.query("get_peers", "9:info_hash20:hhhhhhhhhhhhhhhhhhhh"))
        #expect(plain.response?.values == nil && plain.response?.signedPeers == nil)
    }

    @Test func aNodeWithTheDraftTurnedOffAnswers204() throws {
        var config = DHTConfig()
        config.answersSignedPeerQueries = false
        var fixture = fixture(config: config)
        #expect(try fixture.reply(getSignedPeers(fixture)).errorReply?.code == .methodUnknown)
        let key = try #require(ItemSigningKey(seed: [UInt8](repeating: 1, count: 32)))
        let peer = SignedPeer.signed(infoHash: infoHash, timestamp: unixNow, key: key)
        #expect(try fixture.reply(announce(fixture, peer, token: [])).errorReply?.code == .methodUnknown)
    }

    /// Answers every query of ours in `sent` from its destination with what `answer` makes of it.
    func answerQueries(
        _ fixture: inout ServerFixture,
        _ sent: [OutgoingDatagram],
        _ answer: (OutgoingDatagram, KRPCQuery) -> KRPCResponse?
    ) throws {
        for datagram in sent {
            let message = try KRPCMessage.decode(datagram.bytes)
            guard let query = message.query, let response = answer(datagram, query) else { continue }
            let reply = KRPCMessage(transactionID: message.transactionID, kind: .response(response))
            fixture.node.handle(datagram: reply.encoded(), from: datagram.destination, now: fixture.start)
        }
    }

    @Test func receivedRecordsAreVerifiedOneByOne() throws {
        var fixture = fixture()
        let contact = NodeInfo(id: NodeID(bytes: [UInt8](repeating: 0x68, count: 20))!, address: .v4(9, 9, 9, 9, port: 7000))
        try fixture.confirm(contact)
        let operation = fixture.node.getSignedPeers(infoHash, now: fixture.start)

        let good = SignedPeer.signed(infoHash: infoHash, timestamp: 1, key: ItemSigningKey(seed: [UInt8](repeating: 1, count: 32))!)
        let newerOfGood = SignedPeer.signed(infoHash: infoHash, timestamp: 2, key: ItemSigningKey(seed: [UInt8](repeating: 1, count: 32))!)
        var forged = SignedPeer.signed(infoHash: infoHash, timestamp: 1, key: ItemSigningKey(seed: [UInt8](repeating: 2, count: 32))!)
        forged.signature[5] ^= 1
        let otherHash = SignedPeer.signed(infoHash: .zero, timestamp: 1, key: ItemSigningKey(seed: [UInt8](repeating: 3, count: 32))!)
        var forgedNewer = newerOfGood
        forgedNewer.timestamp = 3

        let sent = fixture.node.pollOutgoing()
        #expect(sent.count == 1)
        try answerQueries(&fixture, sent) { _, query in
            #expect(query.method == .getSignedPeers(GetPeersArguments(infoHash: infoHash)))
            return KRPCResponse(senderID: contact.id, token: [1], signedPeers: [good, forged, newerOfGood, otherHash, forgedNewer])
        }
        let events = fixture.node.pollEvents()
        guard case .operationCompleted(let id, .signedPeersFound(let result))? = events.last else {
            Issue.record("no result: \(events)")
            return
        }
        #expect(id == operation)
        #expect(result.signedPeers == [newerOfGood])
        #expect(result.writeTokens.map(\.node) == [contact])
    }

    @Test func anAnnounceGoesOnlyToNodesThatGaveAToken() throws {
        var fixture = fixture()
        let supporting = NodeInfo(id: NodeID(bytes: [UInt8](repeating: 0x68, count: 20))!, address: .v4(9, 9, 9, 1, port: 7000))
        let vanilla = NodeInfo(id: NodeID(bytes: [UInt8](repeating: 0x69, count: 20))!, address: .v4(9, 9, 9, 2, port: 7000))
        try fixture.confirm(supporting)
        try fixture.confirm(vanilla)
        let key = try #require(ItemSigningKey(seed: [UInt8](repeating: 4, count: 32)))
        let operation = fixture.node.announceSignedPeer(infoHash, key: key, now: fixture.start)

        // libtorrent answers an unknown query naming an info_hash like find_node: nodes, no token.
        try answerQueries(&fixture, fixture.node.pollOutgoing()) { datagram, _ in
            datagram.destination == supporting.address
                ? KRPCResponse(senderID: supporting.id, token: Array("tok".utf8))
                : KRPCResponse(senderID: vanilla.id, nodes: [])
        }
        let stores = fixture.node.pollOutgoing()
        #expect(stores.map(\.destination) == [supporting.address])
        let store = try KRPCMessage.decode(try #require(stores.first).bytes)
        guard case .announceSignedPeer(let arguments)? = store.query?.method else {
            Issue.record("not an announce: \(store)")
            return
        }
        #expect(arguments.token == Array("tok".utf8))
        #expect(arguments.infoHash == infoHash)
        #expect(arguments.peer.publicKey == key.publicKey)
        #expect(arguments.peer.timestamp == unixNow)  // signed with the node's Unix clock
        #expect(arguments.peer.isValid(for: infoHash))

        try answerQueries(&fixture, stores) { _, _ in KRPCResponse(senderID: supporting.id) }
        let events = fixture.node.pollEvents()
        guard case .operationCompleted(let id, .signedPeerAnnounced(let summary))? = events.last else {
            Issue.record("not announced: \(events)")
            return
        }
        #expect(id == operation)
        #expect(summary.attempted == 1 && summary.stored == 1)
        #expect(summary.lookup.closestNodes == [supporting])
    }
}
