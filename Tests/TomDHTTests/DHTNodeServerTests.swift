import Bencode
import Testing
import TomDHT

/// A node fed datagrams by hand: each test sends bytes in and checks the bytes that come out.
struct ServerFixture {
    let ownID = NodeID(bytes: Array("mnopqrstuvwxyz123456".utf8))!
    let querierID = NodeID(bytes: Array("abcdefghij0123456789".utf8))!
    let requester = DHTAddress.v4(1, 2, 3, 4, port: 6881)
    let start = DHTTime.at(seconds: 100)
    var node: DHTNode

    init(config: DHTConfig = DHTConfig()) {
        node = DHTNode(config: config, nodeID: ownID, seed: 42, now: start)
    }

    /// Sends `text` from `source` and returns everything the node sent back.
    mutating func exchange(_ text: String, from source: DHTAddress? = nil) -> [OutgoingDatagram] {
        exchange(Array(text.utf8), from: source)
    }

    mutating func exchange(_ bytes: [UInt8], from source: DHTAddress? = nil) -> [OutgoingDatagram] {
        node.handle(datagram: bytes, from: source ?? requester, now: start)
        return node.pollOutgoing()
    }

    /// The single reply to `requester`, decoded.
    mutating func reply(_ text: String, from source: DHTAddress? = nil) throws -> KRPCMessage {
        try reply(Array(text.utf8), from: source)
    }

    mutating func reply(_ bytes: [UInt8], from source: DHTAddress? = nil) throws -> KRPCMessage {
        let sent = exchange(bytes, from: source).filter { $0.destination == (source ?? requester) }
        let first = try #require(sent.first)
        return try KRPCMessage.decode(first.bytes)
    }

    func query(_ method: String, _ arguments: String = "", transaction: String = "aa") -> String {
        "d1:ad2:id20:abcdefghij0123456789\(arguments)e1:q\(method.utf8.count):\(method)1:t\(transaction.utf8.count):\(transaction)1:y1:qe"
    }

    /// A query whose arguments hold raw bytes, such as a token.
    func query(_ method: String, bytes arguments: [UInt8]) -> [UInt8] {
        Array("d1:ad2:id20:abcdefghij0123456789".utf8) + arguments + Array("e1:q\(method.utf8.count):\(method)1:t2:aa1:y1:qe".utf8)
    }

    /// Makes `node` a confirmed contact: we ping it and it answers from its own address.
    mutating func confirm(_ contact: NodeInfo) throws {
        node.ping(contact.address, now: start)
        let ping = try #require(node.pollOutgoing().first)
        let transaction = try KRPCMessage.decode(ping.bytes).transactionID
        let answer = KRPCMessage(transactionID: transaction, kind: .response(KRPCResponse(senderID: contact.id)))
        node.handle(datagram: answer.encoded(), from: contact.address, now: start)
        _ = node.pollOutgoing()
    }

    static func bencoded(_ bytes: [UInt8]) -> [UInt8] {
        Array("\(bytes.count):".utf8) + bytes
    }
}

@Suite("DHT node: answering queries")
struct DHTNodeServerTests {
    @Test func pingIsAnsweredByteForByte() {
        var fixture = ServerFixture()
        let sent = fixture.exchange(fixture.query("ping"))
        // Sorted keys: ip (BEP 42, our view of the requester: 1.2.3.4:6881), r, t, v, y.
        let expected = Array("d2:ip6:".utf8) + [1, 2, 3, 4, 0x1A, 0xE1]
            + Array("1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:v4:TN011:y1:re".utf8)
        #expect(sent.first == OutgoingDatagram(bytes: expected, destination: fixture.requester))
        #expect(sent.count == 2)  // then a ping to confirm the new querier
    }

    @Test func transactionIDsOfAnyLengthAreEchoed() throws {
        var fixture = ServerFixture()
        #expect(try fixture.reply(fixture.query("ping", transaction: "x")).transactionID == Array("x".utf8))
        let long = String(repeating: "t", count: 20)
        #expect(try fixture.reply(fixture.query("ping", transaction: long)).transactionID == Array(long.utf8))
    }

    @Test func findNodeReturnsConfirmedClosestNodes() throws {
        var fixture = ServerFixture()
        let contacts = (1...3).map { number in
            NodeInfo(id: NodeID(bytes: [UInt8](repeating: UInt8(number), count: 20))!, address: .v4(9, 9, 9, UInt8(number), port: 7000))
        }
        for contact in contacts { try fixture.confirm(contact) }
        let target = NodeID(bytes: [UInt8](repeating: 2, count: 20))!
        let reply = try fixture.reply(fixture.query("find_node", "6:target20:" + String(decoding: target.bytes, as: UTF8.self)))
        let nodes = try #require(reply.response?.nodes)
        #expect(nodes.first == contacts[1])
        #expect(Set(nodes) == Set(contacts))  // the querier itself is unconfirmed, so not handed out
        #expect(reply.clientVersion == Array("TN01".utf8))
        #expect(reply.requesterAddress == fixture.requester)
    }

    @Test func announceNeedsTheTokenFromGetPeersAndImpliedPortUsesTheSourcePort() throws {
        var fixture = ServerFixture()
        let infoHash = String(repeating: "h", count: 20)
        let first = try fixture.reply(fixture.query("get_peers", "9:info_hash20:\(infoHash)"))
        let token = try #require(first.response?.token)
        #expect(first.response?.values == nil)
        #expect(first.response?.nodes != nil)

        // A wrong token: 203.
        let forged = try fixture.reply(fixture.query("announce_peer", "9:info_hash20:\(infoHash)4:porti7000e5:token8:xxxxxxxx"))
        #expect(forged.errorReply?.code == .protocolError)
        // The right token from another IP: 203.
        let tokenBytes = ServerFixture.bencoded(token)
        func announce(_ prefix: String) -> [UInt8] {
            fixture.query("announce_peer", bytes: Array("\(prefix)9:info_hash20:\(infoHash)4:porti7000e5:token".utf8) + tokenBytes)
        }
        let elsewhere = DHTAddress.v4(5, 5, 5, 5, port: 6881)
        let stolen = try fixture.reply(announce(""), from: elsewhere)
        #expect(stolen.errorReply?.code == .protocolError)

        let accepted = try fixture.reply(announce("12:implied_porti1e"))
        #expect(accepted.response != nil)
        let second = try fixture.reply(fixture.query("get_peers", "9:info_hash20:\(infoHash)"))
        #expect(second.response?.values == [fixture.requester])  // port 6881 from the datagram, not 7000

        let explicit = try fixture.reply(announce(""))
        #expect(explicit.response != nil)
        let third = try fixture.reply(fixture.query("get_peers", "9:info_hash20:\(infoHash)"))
        #expect(Set(third.response?.values ?? []) == [fixture.requester, .v4(1, 2, 3, 4, port: 7000)])
    }

    @Test func putThenGetAnImmutableItem() throws {
        var fixture = ServerFixture()
        let target = try #require(NodeID(hex: "e5f96f6f38320f0f33959cb4d3d656452117aadb"))
        let getTarget = fixture.query("get", bytes: Array("6:target20:".utf8) + target.bytes)
        let empty = try fixture.reply(getTarget)
        let token = ServerFixture.bencoded(try #require(empty.response?.token))
        #expect(empty.response?.value == nil)

        let bad = try fixture.reply(fixture.query("put", "5:token8:xxxxxxxx1:v12:Hello World!"))
        #expect(bad.errorReply?.code == .protocolError)
        // An extra `target` key (pubky mainline sends one) is accepted but not trusted.
        let wrongTarget = String(repeating: "z", count: 20)
        let put = try fixture.reply(fixture.query("put", bytes: Array("6:target20:\(wrongTarget)5:token".utf8) + token + Array("1:v12:Hello World!".utf8)))
        #expect(put.response != nil)
        let got = try fixture.reply(getTarget)
        #expect(got.response?.value == CanonicalBencode("Hello World!"))
        let decoy = try fixture.reply(fixture.query("get", "6:target20:\(wrongTarget)"))
        #expect(decoy.response?.value == nil)

        let tooBig = try fixture.reply(fixture.query("put", bytes: Array("5:token".utf8) + token + Array(("1:v1001:" + String(repeating: "x", count: 1001)).utf8)))
        #expect(tooBig.errorReply?.code == .messageTooBig)
    }

    @Test func putAndGetMutableItemsWithTheirErrorCodes() throws {
        var fixture = ServerFixture()
        let key = try #require(ItemSigningKey(seed: [UInt8](repeating: 9, count: 32)))
        let salt = Array("s".utf8)
        let target = ItemTarget.mutable(publicKey: key.publicKey, salt: salt)
        let getQuery = { (seq: String) in fixture.query("get", bytes: Array((seq + "6:target20:").utf8) + target.bytes) }
        let token = try #require(try fixture.reply(getQuery("")).response?.token)

        func put(_ text: String, seq: Int64, cas: Int64? = nil, corrupt: Bool = false) throws -> KRPCMessage {
            let item = MutableItem.signed(value: CanonicalBencode(.string(text)), salt: salt, sequenceNumber: seq, key: key)
            var signature = item.signature
            if corrupt { signature[0] ^= 1 }
            let arguments = PutItemArguments(
                token: token, value: item.value, publicKey: item.publicKey, signature: signature,
                sequenceNumber: seq, expectedSequenceNumber: cas, salt: salt
            )
            let message = KRPCMessage(transactionID: Array("pt".utf8), kind: .query(KRPCQuery(senderID: fixture.querierID, method: .put(arguments))))
            let sent = fixture.exchange(message.encoded())
            return try KRPCMessage.decode(try #require(sent.first).bytes)
        }

        #expect(try put("one", seq: 3).response != nil)
        #expect(try put("two", seq: 4, corrupt: true).errorReply?.code == .invalidSignature)
        #expect(try put("two", seq: 2).errorReply?.code == .sequenceNumberLessThanCurrent)
        #expect(try put("two", seq: 3).errorReply?.code == .sequenceNumberLessThanCurrent)
        #expect(try put("one", seq: 3).response != nil)
        #expect(try put("two", seq: 4, cas: 2).errorReply?.code == .casMismatch)
        #expect(try put("two", seq: 4, cas: 3).response != nil)

        let full = try #require(try fixture.reply(getQuery("")).response)
        #expect(full.value == CanonicalBencode("two"))
        #expect(full.sequenceNumber == 4)
        #expect(full.publicKey == key.publicKey)
        #expect(full.signature != nil)
        // Asking with seq = 4: we are not newer, so only seq comes back.
        let notNewer = try #require(try fixture.reply(getQuery("3:seqi4e")).response)
        #expect(notNewer.sequenceNumber == 4)
        #expect(notNewer.value == nil && notNewer.publicKey == nil && notNewer.signature == nil)
        #expect(try fixture.reply(getQuery("3:seqi3e")).response?.value == CanonicalBencode("two"))

        let longSalt = PutItemArguments(token: token, value: CanonicalBencode("v"), publicKey: key.publicKey,
                                        signature: [UInt8](repeating: 0, count: 64), sequenceNumber: 1,
                                        salt: [UInt8](repeating: 1, count: 65))
        let message = KRPCMessage(transactionID: [1], kind: .query(KRPCQuery(senderID: fixture.querierID, method: .put(longSalt))))
        let sent = fixture.exchange(message.encoded())
        #expect(try KRPCMessage.decode(try #require(sent.first).bytes).errorReply?.code == .saltTooBig)
    }

    @Test func unknownMethodsGet204AndMalformedQueries203() throws {
        var fixture = ServerFixture()
        let unknown = try fixture.reply(fixture.query("vote"))
        #expect(unknown.errorReply?.code == .methodUnknown)
        #expect(unknown.transactionID == Array("aa".utf8))

        let missingTarget = try fixture.reply(fixture.query("find_node"))
        #expect(missingTarget.errorReply?.code == .protocolError)
        #expect(missingTarget.clientVersion == Array("TN01".utf8))

        // Nothing readable: silence.
        #expect(fixture.exchange("garbage").isEmpty)
        #expect(fixture.exchange("d1:t2:aa1:y1:re").isEmpty)
        #expect(fixture.exchange([UInt8](repeating: 0xFF, count: 3000)).isEmpty)
    }

    @Test func readOnlyQueriersAreAnsweredButNotAdded() throws {
        var fixture = ServerFixture()
        let readOnly = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:y1:qe"
        #expect(try fixture.reply(readOnly).response != nil)
        #expect(fixture.node.routingTable.count == 0)
        _ = try fixture.reply(fixture.query("ping"))
        #expect(fixture.node.routingTable.count == 1)
    }

    @Test func aNewQuerierIsPingedSoItCanBeConfirmed() throws {
        var fixture = ServerFixture()
        let sent = fixture.exchange(fixture.query("ping"))
        #expect(sent.count == 2)
        #expect(try KRPCMessage.decode(sent[0].bytes).response != nil)
        let verification = try KRPCMessage.decode(sent[1].bytes)
        #expect(verification.query?.method == .ping)
        #expect(verification.transactionID.count == 4)
        #expect(verification.clientVersion == Array("TN01".utf8))
    }
}

@Suite("DHT node: answers to our queries")
struct DHTNodeClientTests {
    @Test func answersAreAcceptedOnlyFromTheQueriedAddressWithOurTransactionID() throws {
        var fixture = ServerFixture()
        let contact = NodeInfo(id: NodeID(bytes: [UInt8](repeating: 5, count: 20))!, address: .v4(9, 9, 9, 9, port: 7000))
        let operation = fixture.node.ping(contact.address, now: fixture.start)
        let ping = try #require(fixture.node.pollOutgoing().first)
        #expect(ping.destination == contact.address)
        let transaction = try KRPCMessage.decode(ping.bytes).transactionID
        let answer = KRPCMessage(transactionID: transaction, kind: .response(KRPCResponse(senderID: contact.id))).encoded()

        // From another address, or another port: ignored.
        fixture.node.handle(datagram: answer, from: .v4(6, 6, 6, 6, port: 7000), now: fixture.start)
        fixture.node.handle(datagram: answer, from: .v4(9, 9, 9, 9, port: 7001), now: fixture.start)
        // Unknown transaction id: ignored.
        let stranger = KRPCMessage(transactionID: [1, 2], kind: .response(KRPCResponse(senderID: contact.id))).encoded()
        fixture.node.handle(datagram: stranger, from: contact.address, now: fixture.start)
        #expect(fixture.node.pollEvents().isEmpty)
        #expect(fixture.node.statistics.repliesIgnored == 3)
        #expect(fixture.node.routingTable.count == 0)

        fixture.node.handle(datagram: answer, from: contact.address, now: fixture.start)
        #expect(fixture.node.pollEvents() == [.operationCompleted(operation, .pinged(contact))])
        #expect(fixture.node.routingTable.entry(for: contact.id)?.isConfirmed == true)
        // A replay of the same answer is now unknown.
        fixture.node.handle(datagram: answer, from: contact.address, now: fixture.start)
        #expect(fixture.node.statistics.repliesIgnored == 4)
    }

    @Test func unansweredQueriesTimeOutAtTheDeadline() throws {
        var fixture = ServerFixture()
        let operation = fixture.node.ping(.v4(9, 9, 9, 9, port: 7000), now: fixture.start)
        let deadline = try #require(fixture.node.nextDeadline)
        #expect(deadline == fixture.start + .seconds(2))
        fixture.node.tick(now: fixture.start + .seconds(1))
        #expect(fixture.node.pollEvents().isEmpty)
        fixture.node.tick(now: deadline)
        #expect(fixture.node.pollEvents() == [.operationCompleted(operation, .pinged(nil))])
        #expect(fixture.node.queriesInFlight == 0)
    }

    @Test func oversizedValuesAreRejectedBeforeAnythingIsSent() {
        var fixture = ServerFixture()
        let operation = fixture.node.putImmutable(CanonicalBencode(.string(String(repeating: "x", count: 1000))), now: fixture.start)
        #expect(fixture.node.pollOutgoing().isEmpty)
        let events = fixture.node.pollEvents()
        #expect(events.count == 1)
        if case .operationCompleted(let id, .rejected) = events.first { #expect(id == operation) } else { Issue.record("not rejected") }
    }
}
