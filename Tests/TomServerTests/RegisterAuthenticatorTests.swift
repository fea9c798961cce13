import NIOCore
import Testing
import TomCrypto
import TomSignaling
@testable import TomServer

/// The authenticated register's decisions, without sockets (Docs/legacy-protocol.md,
/// "Authenticated register").
@Suite struct RegisterAuthenticatorTests {
    static let serverKey = [UInt8](repeating: 0xab, count: 32)
    static let fixedNonce = [UInt8](0..<32)
    let client = Ed25519KeyPair.generate()

    func authenticator(required: Bool) -> RegisterAuthenticator {
        RegisterAuthenticator(required: required, serverKey: Self.serverKey, makeNonce: { Self.fixedNonce })
    }

    var participant: Participant { Participant(nodeId: client.publicKeyHex, username: "u") }

    func signature(nonce: [UInt8] = fixedNonce, serverKey: [UInt8] = serverKey, by key: Ed25519KeyPair? = nil) -> String {
        let signer = key ?? client
        return Hex.encode(signer.sign(RegisterAuth.signedBytes(nonce: nonce, serverKey: serverKey, nodeKey: client.publicKey)))
    }

    static let challenge = RegisterAuth.challenge(nonceHex: Hex.encode(fixedNonce), serverKeyHex: Hex.encode(serverKey))

    @Test func signedBytesAreLabelNonceServerAndNodeKeys() {
        let bytes = RegisterAuth.signedBytes(nonce: [1, 2], serverKey: [3], nodeKey: [4, 5])
        #expect(bytes == Array("tom-register-auth:v1".utf8) + [0, 1, 2, 3, 4, 5])
    }

    @Test func challengeWire() {
        let text = String(buffer: Self.challenge)
        #expect(text == #"{"type":"challenge","nonce":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","server":"\#(String(repeating: "ab", count: 32))"}"#)
        #expect(String(buffer: RegisterAuth.error(.required)) == #"{"type":"error","error":"authentication required"}"#)
        #expect(String(buffer: RegisterAuth.error(.failed)) == #"{"type":"error","error":"authentication failed"}"#)
    }

    @Test func optionalServerLeavesSilentClientsAlone() {
        var auth = authenticator(required: false)
        #expect(auth.opening(clientAsked: false) == nil)
        // A stray signature on a client that never asked is ignored, as the original ignored it.
        #expect(auth.decide(participant, fields: .init(signature: "zz")) == .register)
        #expect(auth.decide(participant, fields: .init()) == .register)
        #expect(auth.nonce == nil)
    }

    @Test func askingClientIsChallengedThenVerified() {
        var auth = authenticator(required: false)
        #expect(auth.decide(participant, fields: .init(asksForChallenge: true)) == .challenge(Self.challenge))
        // Asking again gets the same nonce; an unsigned register is now refused.
        #expect(auth.decide(participant, fields: .init(asksForChallenge: true)) == .challenge(Self.challenge))
        #expect(auth.decide(participant, fields: .init()) == .refuse(.required))
        #expect(auth.decide(participant, fields: .init(signature: signature())) == .register)
        // The nonce lasts for the connection: registering again needs no new round trip.
        #expect(auth.decide(participant, fields: .init(signature: signature())) == .register)
    }

    @Test func subprotocolChallengesOnOpen() {
        var auth = authenticator(required: false)
        #expect(auth.opening(clientAsked: true) == Self.challenge)
        #expect(auth.decide(participant, fields: .init()) == .refuse(.required))
    }

    @Test func requiredServerChallengesEveryone() {
        var auth = authenticator(required: true)
        #expect(auth.opening(clientAsked: false) == Self.challenge)
        #expect(auth.decide(participant, fields: .init()) == .refuse(.required))
        #expect(auth.decide(participant, fields: .init(signature: signature())) == .register)
    }

    @Test func badProofsFail() {
        var auth = authenticator(required: true)
        _ = auth.opening(clientAsked: false)
        let other = Ed25519KeyPair.generate()
        let wrongNonce = [UInt8](repeating: 7, count: 32)
        let cases: [(Participant, String)] = [
            (participant, signature(by: other)),  // someone else's key
            (participant, signature(nonce: wrongNonce)),  // another connection's nonce
            (participant, signature(serverKey: [UInt8](repeating: 1, count: 32))),  // another server
            (participant, String(signature().dropLast(2))),  // short
            (participant, "zz" + signature().dropFirst(2)),  // not hex
            (participant, ""),
            (Participant(nodeId: "not-a-key", username: "u"), signature()),
            (Participant(nodeId: other.publicKeyHex, username: "u"), signature()),  // key of the signer differs
        ]
        for (who, proof) in cases {
            #expect(auth.decide(who, fields: .init(signature: proof)) == .refuse(.failed), "\(proof)")
        }
        // Uppercase hex is the same key and signature.
        let upper = Participant(nodeId: client.publicKeyHex.uppercased(), username: "u")
        #expect(auth.decide(upper, fields: .init(signature: signature().uppercased())) == .register)
    }

    @Test func fieldsDecodeTotally() {
        func fields(_ text: String) -> RegisterAuthFields { RegisterAuthFields.decode(ByteBuffer(string: text)) }
        #expect(fields(#"{"type":"register","auth":true,"signature":"ab"}"#) == .init(asksForChallenge: true, signature: "ab"))
        #expect(fields(#"{"auth":1,"signature":5}"#) == .init())
        #expect(fields(#"{"auth":"true"}"#) == .init())
        #expect(fields("not json") == .init())
        #expect(fields("[1]") == .init())
    }

    @Test func subprotocolOfferedAnywhere() {
        #expect(RegisterAuthenticator.offered(in: ["foo, tom-auth.v1"]))
        #expect(RegisterAuthenticator.offered(in: ["foo", " tom-auth.v1 "]))
        #expect(!RegisterAuthenticator.offered(in: ["foo, tom-auth.v2"]))
        #expect(!RegisterAuthenticator.offered(in: []))
    }

    @Test func serverKeyFallsBackToZeros() {
        #expect(RegisterAuthenticator.serverKey(fromHex: "ab") == [UInt8](repeating: 0, count: 32))
        #expect(RegisterAuthenticator.serverKey(fromHex: String(repeating: "ab", count: 32)) == Self.serverKey)
    }
}
