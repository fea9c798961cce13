import Bencode
import Testing
import TomDHT

/// One record computed outside this code base (Python's `cryptography` package): the RFC 8032
/// test-1 key signs info-hash ‖ t as 8 bytes big-endian. The draft itself has no vectors.
enum SignedPeerVector {
    static let seed = TestHex.bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let publicKey = TestHex.bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let infoHash = NodeID(hex: "e5f96f6f38320f0f33959cb4d3d656452117aadb")!
    static let timestamp: Int64 = 1_761_300_000_123_456
    static let signedBytes = TestHex.bytes("e5f96f6f38320f0f33959cb4d3d656452117aadb000641e49cd9aa40")
    static let signature = TestHex.bytes(
        "88dda246cf7961c9b751c6754bd6113e7c7c4d8989738859f465bf41cc0da47b"
            + "da7c3302f65b2f09b153903642d5df628896dc510c9a6702b5e9b08f83f7ff09")
    static var peer: SignedPeer { SignedPeer(publicKey: publicKey, timestamp: timestamp, signature: signature) }
}

@Suite("Signed peers: records and KRPC forms")
struct SignedPeerCodecTests {
    let sender = NodeID(hex: "0102030405060708090a0b0c0d0e0f1011121314")!

    @Test func theIndependentVectorSignsAndVerifies() throws {
        let key = try #require(ItemSigningKey(seed: SignedPeerVector.seed))
        #expect(key.publicKey == SignedPeerVector.publicKey)
        #expect(SignedPeer.signedBytes(infoHash: SignedPeerVector.infoHash, timestamp: SignedPeerVector.timestamp) == SignedPeerVector.signedBytes)
        let signed = SignedPeer.signed(infoHash: SignedPeerVector.infoHash, timestamp: SignedPeerVector.timestamp, key: key)
        #expect(signed == SignedPeerVector.peer)
        #expect(signed.isValid(for: SignedPeerVector.infoHash))
        // Bound to the hash and the time it was signed for.
        #expect(!signed.isValid(for: NodeID.zero))
        var later = signed
        later.timestamp += 1
        #expect(!later.isValid(for: SignedPeerVector.infoHash))
    }

    @Test func theCompactRecordIsKeyTimestampSignature() throws {
        let bytes = SignedPeerVector.peer.compactBytes
        #expect(bytes.count == 104)
        #expect(bytes == SignedPeerVector.publicKey + TestHex.bytes("000641e49cd9aa40") + SignedPeerVector.signature)
        #expect(SignedPeer(compact: bytes) == SignedPeerVector.peer)
        #expect(SignedPeer(compact: bytes.dropLast()) == nil)
        #expect(SignedPeer(compact: bytes + [0]) == nil)
        var negative = bytes
        negative[32] = 0x80
        #expect(SignedPeer(compact: negative) == nil)
    }

    @Test func theAnnounceQueryOnTheWire() throws {
        let arguments = AnnounceSignedPeerArguments(infoHash: SignedPeerVector.infoHash, token: Array("tok".utf8), peer: SignedPeerVector.peer)
        let message = KRPCMessage(transactionID: Array("aa".utf8), kind: .query(KRPCQuery(senderID: sender, method: .announceSignedPeer(arguments))))
        let expected = Array("d1:ad2:id20:".utf8) + sender.bytes
            + Array("9:info_hash20:".utf8) + SignedPeerVector.infoHash.bytes
            + Array("1:k32:".utf8) + SignedPeerVector.publicKey
            + Array("3:sig64:".utf8) + SignedPeerVector.signature
            + Array("1:ti1761300000123456e5:token3:toke1:q20:announce_signed_peer1:t2:aa1:y1:qe".utf8)
        #expect(message.encoded() == expected)
        #expect(try KRPCMessage.decode(expected) == message)
    }

    @Test func roundTrips() throws {
        func roundTrip(_ message: KRPCMessage) throws {
            let encoded = message.encoded()
            #expect(try KRPCMessage.decode(encoded) == message)
            #expect(try BencodeDecoder.canonical.decode(encoded).encoded() == encoded)
        }
        func query(_ method: KRPCQuery.Method) -> KRPCMessage {
            KRPCMessage(transactionID: [7], kind: .query(KRPCQuery(senderID: sender, method: method)))
        }
        try roundTrip(query(.getSignedPeers(GetPeersArguments(infoHash: SignedPeerVector.infoHash))))
        try roundTrip(query(.getSignedPeers(GetPeersArguments(infoHash: SignedPeerVector.infoHash, want: [.v4, .v6]))))
        try roundTrip(query(.announceSignedPeer(AnnounceSignedPeerArguments(
            infoHash: SignedPeerVector.infoHash, token: [], peer: SignedPeer(
                publicKey: [UInt8](repeating: 1, count: 32), timestamp: 0, signature: [UInt8](repeating: 2, count: 64))))))
        #expect(query(.getSignedPeers(GetPeersArguments(infoHash: .zero))).encoded().containsRun(Array("16:get_signed_peers".utf8)))

        let node = NodeInfo(id: SignedPeerVector.infoHash, address: .v4(203, 0, 113, 9, port: 6881))
        let other = SignedPeer(publicKey: [UInt8](repeating: 3, count: 32), timestamp: Int64.max, signature: [UInt8](repeating: 4, count: 64))
        let response = KRPCResponse(senderID: sender, nodes: [node], token: [1, 2], signedPeers: [SignedPeerVector.peer, other])
        try roundTrip(KRPCMessage(transactionID: [7], kind: .response(response)))
        try roundTrip(KRPCMessage(transactionID: [7], kind: .response(KRPCResponse(senderID: sender, signedPeers: []))))
        // The records are a list of 104-byte strings under `peers`.
        let encoded = KRPCMessage(transactionID: [7], kind: .response(KRPCResponse(senderID: sender, signedPeers: [SignedPeerVector.peer]))).encoded()
        #expect(encoded.containsRun(Array("5:peersl104:".utf8) + SignedPeerVector.peer.compactBytes + Array("e".utf8)))
    }

    @Test("malformed queries give typed errors", arguments: SignedPeerMalformedCases.queries)
    func malformedQuery(_ malformed: SignedPeerMalformedCases.Case) {
        let expected = KRPCDecodingError(reason: malformed.reason, transactionID: KRPCMalformedCases.transaction, isQuery: true)
        #expect(throws: expected) { try KRPCMessage.decode(malformed.bytes) }
    }

    @Test("malformed answers give typed errors", arguments: SignedPeerMalformedCases.responses)
    func malformedResponse(_ malformed: SignedPeerMalformedCases.Case) {
        let expected = KRPCDecodingError(reason: malformed.reason, transactionID: KRPCMalformedCases.transaction, isQuery: false)
        #expect(throws: expected) { try KRPCMessage.decode(malformed.bytes) }
    }

    @Test func mutatedSignedPeerMessagesNeverCrashAndAcceptedOnesRoundTrip() {
        let announce = KRPCMessage(transactionID: Array("aa".utf8), kind: .query(KRPCQuery(senderID: sender, method: .announceSignedPeer(
            AnnounceSignedPeerArguments(infoHash: SignedPeerVector.infoHash, token: Array("tok".utf8), peer: SignedPeerVector.peer)))))
        let answer = KRPCMessage(transactionID: Array("aa".utf8), kind: .response(KRPCResponse(
            senderID: sender, token: [1, 2, 3], signedPeers: [SignedPeerVector.peer, SignedPeerVector.peer])))
        let seeds = [announce.encoded(), answer.encoded()]
        var generator = DHTRandom(seed: 0x5167)
        var accepted = 0
        for iteration in 0..<10_000 {
            var input = seeds[iteration % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<input.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: input.remove(at: index)
                case 1: input.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                default: input[index] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            guard let message = try? KRPCMessage.decode(input) else { continue }
            accepted += 1
            #expect((try? KRPCMessage.decode(message.encoded())) == message)
        }
        #expect(accepted > 1_000)  // mostly the 168 signature and key bytes, which any value fills
    }

    @Test func theRecordCountIsBounded() {
        let record = Array("104:".utf8) + SignedPeerVector.peer.compactBytes
        let three = SignedPeerMalformedCases.response(Array("5:peersl".utf8) + record + record + record + Array("e".utf8))
        let limits = KRPCLimits(maxSignedPeersPerResponse: 2)
        #expect(throws: KRPCDecodingError(reason: .tooManyEntries("r.peers"), transactionID: KRPCMalformedCases.transaction)) {
            try KRPCMessage.decode(three, limits: limits)
        }
        #expect((try? KRPCMessage.decode(three))?.response?.signedPeers?.count == 3)
    }
}

/// Byte-level inputs: records hold arbitrary bytes, so these are not text.
enum SignedPeerMalformedCases {
    /// One input, shown in test output by the reason it must fail with, not as raw bytes.
    struct Case: Sendable, CustomTestStringConvertible {
        var bytes: [UInt8]
        var reason: KRPCDecodingError.Reason
        var testDescription: String { "\(reason)" }

        init(_ bytes: [UInt8], _ reason: KRPCDecodingError.Reason) {
            self.bytes = bytes
            self.reason = reason
        }
    }

    static let infoHash = Array("9:info_hash20:mnopqrstuvwxyz123456".utf8)
    static let key = Array("1:k32:".utf8) + [UInt8](repeating: 0x6B, count: 32)
    static let signature = Array("3:sig64:".utf8) + [UInt8](repeating: 0x73, count: 64)
    static let token = Array("5:token1:x".utf8)

    static func query(_ method: String, _ arguments: [UInt8]) -> [UInt8] {
        Array("d1:ad2:id\(KRPCMalformedCases.id)".utf8) + arguments + Array("e1:q\(method.utf8.count):\(method)1:t2:aa1:y1:qe".utf8)
    }

    static func announce(_ arguments: [UInt8]) -> [UInt8] {
        query("announce_signed_peer", arguments)
    }

    static func response(_ values: [UInt8]) -> [UInt8] {
        Array("d1:rd2:id\(KRPCMalformedCases.id)".utf8) + values + Array("e1:t2:aa1:y1:re".utf8)
    }

    /// A record whose timestamp has the sign bit set: before 1970.
    static var negativeTimestamp: [UInt8] {
        var bytes = SignedPeerVector.peer.compactBytes
        bytes[32] |= 0x80
        return bytes
    }

    static let queries: [Case] = [
        Case(query("get_signed_peers", []), .missingKey("a.info_hash")),
        Case(query("get_signed_peers", Array("9:info_hash3:abc".utf8)), .invalidLength("a.info_hash")),
        Case(announce(infoHash + key + signature + token), .missingKey("a.t")),
        Case(announce(infoHash + key + signature + Array("1:t3:abc".utf8) + token), .wrongType("a.t")),
        Case(announce(infoHash + key + signature + Array("1:ti-1e".utf8) + token), .invalidValue("a.t")),
        Case(announce(infoHash + signature + Array("1:ti1e".utf8) + token), .missingKey("a.k")),
        Case(announce(infoHash + Array("1:k31:".utf8) + [UInt8](repeating: 0x6B, count: 31) + signature + Array("1:ti1e".utf8) + token), .invalidLength("a.k")),
        Case(announce(infoHash + key + Array("1:ti1e".utf8) + token), .missingKey("a.sig")),
        Case(announce(infoHash + key + Array("3:sig65:".utf8) + [UInt8](repeating: 0x73, count: 65) + Array("1:ti1e".utf8) + token), .invalidLength("a.sig")),
        Case(announce(infoHash + key + signature + Array("1:ti1e".utf8)), .missingKey("a.token")),
        Case(announce(key + signature + Array("1:ti1e".utf8) + token), .missingKey("a.info_hash")),
    ]

    static let responses: [Case] = [
        Case(response(Array("5:peers104:".utf8) + SignedPeerVector.peer.compactBytes), .wrongType("r.peers")),
        Case(response(Array("5:peersli1ee".utf8)), .wrongType("r.peers")),
        Case(response(Array("5:peersl103:".utf8) + SignedPeerVector.peer.compactBytes.dropLast() + Array("e".utf8)), .invalidLength("r.peers")),
        Case(response(Array("5:peersl6:abcdefe".utf8)), .invalidLength("r.peers")),
        Case(response(Array("5:peersl104:".utf8) + negativeTimestamp + Array("e".utf8)), .invalidValue("r.peers")),
    ]
}

extension Array where Element == UInt8 {
    /// Whether `run` occurs in these bytes, contiguously.
    func containsRun(_ run: [UInt8]) -> Bool {
        guard run.count <= count else { return false }
        return (0...(count - run.count)).contains { Array(self[$0..<($0 + run.count)]) == run }
    }
}
