import Bencode
import TomCrypto
import TomDHT
import Testing
@testable import TomGateway

@Suite struct LinkMessageTests {
    let key = ItemSigningKey(seed: [UInt8](repeating: 7, count: 32))!

    @Test func everyMessageRoundTrips() throws {
        let item = MutableItem.signed(value: CanonicalBencode(.dictionary(stringKeys: ["f": 1, "r": .list([])])),
                                      salt: Array("tom:x:1".utf8), sequenceNumber: 42, key: key)
        let messages: [LinkMessage] = [
            .hello(key: key.publicKey, nonce: [UInt8](repeating: 1, count: 32), topic: Topic().hash),
            .welcome(key: key.publicKey, nonce: [UInt8](repeating: 2, count: 32), signature: [UInt8](repeating: 3, count: 64)),
            .proof(signature: [UInt8](repeating: 4, count: 64)),
            .items([item, item]),
            .signal(to: "peer-7", message: Array(#"{"type":"signal","to":"peer-7"}"#.utf8), replyTo: .max),
            .notFound(replyTo: 9),
            .signalsHandled(.max),
            .broadcast(message: Array(#"{"type":"heartbeat","from":"a"}"#.utf8)),
            .keepalive,
            .bye,
        ]
        for message in messages {
            #expect(try LinkMessage.decode(message.encoded) == message)
        }
        guard case .items(let decoded) = try LinkMessage.decode(LinkMessage.items([item]).encoded) else {
            Issue.record("items did not decode as items")
            return
        }
        #expect(decoded[0].hasValidSignature)
    }

    @Test func signalsOf64KiBPass() throws {
        let payload = [UInt8](repeating: 0x61, count: 64 * 1024)
        let message = LinkMessage.signal(to: "x", message: payload, replyTo: 1)
        #expect(try LinkMessage.decode(message.encoded) == message)
    }

    @Test(arguments: [
        "", "de", "i1e", "d1:y5:helloe", "d1:y3:zzze", "d1:y2:nfe", "d1:y6:signal2:to1:xe",
        "d1:k3:abc1:y5:helloe", "d1:y5:proof1:s3:abce", "d1:y5:items1:i4:nopee",
        "d1:i" + "l" + "d1:k1:xee" + "1:y5:itemse", "d1:y2:ka1:a1:be", // unsorted keys
        "d1:v1:y1:y5:helloe",
    ])
    func malformedFramesAreTypedErrors(_ text: String) {
        #expect(throws: GatewayRecordError.self) { try LinkMessage.decode(Array(text.utf8)) }
    }

    @Test func oversizedFramesAreRefusedUnread() {
        #expect(throws: GatewayRecordError.tooLarge(101)) {
            try LinkMessage.decode([UInt8](repeating: 0x64, count: 101), maxFrameBytes: 100)
        }
    }

    @Test func handshakeSignaturesBindBothNoncesAndRoles() {
        let initiator = ItemSigningKey(seed: [UInt8](repeating: 1, count: 32))!
        let acceptor = ItemSigningKey(seed: [UInt8](repeating: 2, count: 32))!
        let handshake = LinkHandshake(topic: Topic().hash, initiatorKey: initiator.publicKey, initiatorNonce: [UInt8](repeating: 5, count: 32),
                                      acceptorKey: acceptor.publicKey, acceptorNonce: [UInt8](repeating: 6, count: 32))
        let welcome = acceptor.sign(handshake.welcomeTranscript)
        let proof = initiator.sign(handshake.proofTranscript)
        #expect(handshake.verifyWelcome(welcome))
        #expect(handshake.verifyProof(proof))
        // A welcome cannot be replayed as a proof, nor either one on a link with another nonce.
        #expect(!handshake.verifyProof(welcome))
        let replayed = LinkHandshake(topic: Topic().hash, initiatorKey: initiator.publicKey, initiatorNonce: [UInt8](repeating: 9, count: 32),
                                     acceptorKey: acceptor.publicKey, acceptorNonce: [UInt8](repeating: 6, count: 32))
        #expect(!replayed.verifyWelcome(welcome))
        #expect(!replayed.verifyProof(proof))
    }
}
