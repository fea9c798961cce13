import Bencode
import Testing
import TomDHT

@Suite("KRPC: round trips of every message type")
struct KRPCRoundTripTests {
    let sender = NodeID(hex: "0102030405060708090a0b0c0d0e0f1011121314")!
    let target = NodeID(hex: "ffeeddccbbaa99887766554433221100ffeeddcc")!
    let v4Node = NodeInfo(
        id: NodeID(hex: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")!,
        address: DHTAddress(ip: .v4(IPv4Address(203, 0, 113, 7)), port: 6881))
    let v6Node = NodeInfo(
        id: NodeID(hex: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")!,
        address: DHTAddress(ip: IPAddress("2001:db8::7")!, port: 6882))

    func roundTrip(_ message: KRPCMessage) throws {
        let encoded = message.encoded()
        // The direct writer gives exactly the bytes of the tree encoding.
        #expect(encoded == message.bencodeValue.encoded())
        #expect(try KRPCMessage.decode(encoded) == message)
        // Output is canonical bencode.
        #expect(try BencodeDecoder.canonical.decode(encoded).encoded() == encoded)
    }

    func query(_ method: KRPCQuery.Method) -> KRPCMessage {
        KRPCMessage(transactionID: [0x12, 0x34], kind: .query(KRPCQuery(senderID: sender, method: method)))
    }

    @Test func queries() throws {
        try roundTrip(query(.ping))
        try roundTrip(query(.findNode(FindNodeArguments(target: target))))
        try roundTrip(query(.findNode(FindNodeArguments(target: target, want: [.v4, .v6]))))
        try roundTrip(query(.getPeers(GetPeersArguments(infoHash: target, want: [.v6]))))
        try roundTrip(query(.announcePeer(AnnouncePeerArguments(infoHash: target, port: 1, token: [1, 2, 3]))))
        try roundTrip(query(.announcePeer(AnnouncePeerArguments(infoHash: target, port: 65535, token: [], impliedPort: true))))
        try roundTrip(query(.get(GetItemArguments(target: target))))
        try roundTrip(query(.get(GetItemArguments(target: target, sequenceNumber: 41, want: [.v4]))))
        try roundTrip(query(.put(PutItemArguments(token: [9], value: CanonicalBencode("immutable")))))
        try roundTrip(query(.put(PutItemArguments(
            token: [9, 9],
            value: CanonicalBencode(["list": [1, 2], "text": "hi"]),
            publicKey: [UInt8](repeating: 0x77, count: 32),
            signature: [UInt8](repeating: 0x30, count: 64),
            sequenceNumber: 4,
            expectedSequenceNumber: 3,
            salt: Array("foobar".utf8),
            target: target
        ))))
        try roundTrip(query(.unknown(name: Array("sample_infohashes".utf8))))
    }

    @Test func responses() throws {
        func response(_ body: KRPCResponse) -> KRPCMessage {
            KRPCMessage(transactionID: [0xFF], kind: .response(body))
        }
        try roundTrip(response(KRPCResponse(senderID: sender)))
        try roundTrip(response(KRPCResponse(senderID: sender, nodes: [v4Node, v4Node], nodes6: [v6Node])))
        try roundTrip(response(KRPCResponse(senderID: sender, nodes: [], nodes6: [])))
        try roundTrip(response(KRPCResponse(
            senderID: sender, values: [v4Node.address, v6Node.address], token: Array("token".utf8))))
        try roundTrip(response(KRPCResponse(
            senderID: sender,
            nodes: [v4Node],
            token: [1],
            value: CanonicalBencode("Hello World!"),
            publicKey: [UInt8](repeating: 1, count: 32),
            signature: [UInt8](repeating: 2, count: 64),
            sequenceNumber: Int64.max
        )))
    }

    @Test func errors() throws {
        let codes: [KRPCErrorCode] = [
            .genericError, .serverError, .protocolError, .methodUnknown, .messageTooBig,
            .invalidSignature, .saltTooBig, .casMismatch, .sequenceNumberLessThanCurrent,
        ]
        #expect(codes.map(\.rawValue) == [201, 202, 203, 204, 205, 206, 207, 301, 302])
        for code in codes {
            try roundTrip(KRPCMessage(transactionID: [1], kind: .error(KRPCErrorReply(code: code, message: "why"))))
        }
        try roundTrip(KRPCMessage(transactionID: [1], kind: .error(KRPCErrorReply(code: KRPCErrorCode(rawValue: 999), message: ""))))
    }

    @Test func envelopeFields() throws {
        let message = KRPCMessage(
            transactionID: [],
            kind: .query(KRPCQuery(senderID: sender, method: .ping)),
            clientVersion: Array("TN01".utf8),
            requesterAddress: DHTAddress(ip: .v4(IPv4Address(124, 31, 75, 21)), port: 6881),
            isReadOnly: true
        )
        try roundTrip(message)
        let text = String(decoding: message.encoded(), as: UTF8.self)
        #expect(text.contains("2:roi1e"))
        #expect(text.contains("1:v4:TN01"))

        let longTransaction = KRPCMessage(
            transactionID: [UInt8](repeating: 7, count: 64),
            kind: .response(KRPCResponse(senderID: sender)),
            requesterAddress: v6Node.address
        )
        try roundTrip(longTransaction)
    }

    @Test func nodesOfTheWrongFamilyAreLeftOutWhenEncoding() throws {
        let message = KRPCMessage(
            transactionID: [1],
            kind: .response(KRPCResponse(senderID: sender, nodes: [v4Node, v6Node], nodes6: [v4Node, v6Node])))
        let decoded = try KRPCMessage.decode(message.encoded())
        #expect(decoded.response?.nodes == [v4Node])
        #expect(decoded.response?.nodes6 == [v6Node])
    }

    @Test func valuesAreEchoedExactlyAsReceived() throws {
        let text = "d1:ad2:id20:abcdefghij01234567895:token1:x1:vd1:ai1e1:bl1:xeee1:q3:put1:t2:aa1:y1:qe"
        let message = try KRPCMessage.decode(Array(text.utf8))
        guard case .put(let arguments)? = message.query?.method else {
            Issue.record("expected a put query")
            return
        }
        #expect(arguments.value.bytes == Array("d1:ai1e1:bl1:xee".utf8))
        #expect(arguments.isMutable == false)
        #expect(message.encoded() == Array(text.utf8))
    }

    @Test func unsortedTopLevelKeysAreAccepted() throws {
        let text = "d1:y1:q1:t2:aa1:q4:ping1:ad2:id20:abcdefghij0123456789ee"
        let message = try KRPCMessage.decode(Array(text.utf8))
        #expect(message.query?.method == .ping)
        #expect(message.encoded() == Array("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe".utf8))
    }
}
