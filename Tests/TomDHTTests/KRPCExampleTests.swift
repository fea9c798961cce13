import Bencode
import Testing
import TomDHT

/// The example packets of BEP 5, byte for byte.
@Suite("KRPC: BEP 5 example packets")
struct KRPCExampleTests {
    let queryingID = NodeID(bytes: Array("abcdefghij0123456789".utf8))!
    let otherID = NodeID(bytes: Array("mnopqrstuvwxyz123456".utf8))!
    let transaction = Array("aa".utf8)

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func expectExact(_ message: KRPCMessage, _ text: String) throws {
        #expect(message.encoded() == bytes(text))
        #expect(try KRPCMessage.decode(bytes(text)) == message)
    }

    @Test func pingQueryAndResponse() throws {
        try expectExact(
            KRPCMessage(transactionID: transaction, kind: .query(KRPCQuery(senderID: queryingID, method: .ping))),
            "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"
        )
        try expectExact(
            KRPCMessage(transactionID: transaction, kind: .response(KRPCResponse(senderID: otherID))),
            "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re"
        )
    }

    @Test func findNodeQuery() throws {
        try expectExact(
            KRPCMessage(transactionID: transaction, kind: .query(KRPCQuery(
                senderID: queryingID, method: .findNode(FindNodeArguments(target: otherID))))),
            "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe"
        )
    }

    @Test func findNodeExampleResponseHasAPlaceholderNodesStringThatIsRejected() {
        // BEP 5 abbreviates the nodes as "def456...", 9 bytes, which is no whole number of nodes.
        let text = "d1:rd2:id20:0123456789abcdefghij5:nodes9:def456...e1:t2:aa1:y1:re"
        #expect(throws: KRPCDecodingError(reason: .invalidLength("r.nodes"), transactionID: transaction)) {
            try KRPCMessage.decode(bytes(text))
        }
    }

    @Test func getPeersQueryAndResponseWithValues() throws {
        try expectExact(
            KRPCMessage(transactionID: transaction, kind: .query(KRPCQuery(
                senderID: queryingID, method: .getPeers(GetPeersArguments(infoHash: otherID))))),
            "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe"
        )
        let text = "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re"
        let response = KRPCResponse(
            senderID: queryingID,
            values: [try DHTAddress(compact: bytes("axje.u")), try DHTAddress(compact: bytes("idhtnm"))],
            token: bytes("aoeusnth")
        )
        try expectExact(KRPCMessage(transactionID: transaction, kind: .response(response)), text)
        #expect(response.values?.first == DHTAddress(ip: .v4(IPv4Address(97, 120, 106, 101)), port: 0x2E75))
    }

    @Test func announcePeerQueryWithImpliedPort() throws {
        let arguments = AnnouncePeerArguments(infoHash: otherID, port: 6881, token: bytes("aoeusnth"), impliedPort: true)
        try expectExact(
            KRPCMessage(transactionID: transaction, kind: .query(KRPCQuery(senderID: queryingID, method: .announcePeer(arguments)))),
            "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe"
        )
        let source = DHTAddress(ip: .v4(IPv4Address(1, 2, 3, 4)), port: 50_000)
        #expect(arguments.peerAddress(datagramSource: source).port == 50_000)
        var explicit = arguments
        explicit.impliedPort = false
        #expect(explicit.peerAddress(datagramSource: source) == DHTAddress(ip: source.ip, port: 6881))
    }

    @Test func genericError() throws {
        try expectExact(
            KRPCMessage(transactionID: transaction, kind: .error(KRPCErrorReply(code: .genericError, message: "A Generic Error Ocurred"))),
            "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee"
        )
    }
}
