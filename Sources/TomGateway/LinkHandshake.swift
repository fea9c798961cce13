import TomCrypto
import TomDHT

/// The gateway-link handshake: each side signs a transcript holding both keys and both
/// fresh nonces, so neither signature can be replayed on another link or reflected back.
///
/// ```
/// initiator -> hello(key_i, nonce_i, topic)
/// acceptor  -> welcome(key_a, nonce_a, sign_a("tom-link-v1 welcome" | topic | key_i | nonce_i | key_a | nonce_a))
/// initiator -> proof(sign_i("tom-link-v1 proof" | topic | key_i | nonce_i | key_a | nonce_a))
/// ```
public struct LinkHandshake: Sendable {
    public static let nonceLength = 32

    public let topic: NodeID
    public let initiatorKey: [UInt8]
    public let initiatorNonce: [UInt8]
    public let acceptorKey: [UInt8]
    public let acceptorNonce: [UInt8]

    public init(topic: NodeID, initiatorKey: [UInt8], initiatorNonce: [UInt8], acceptorKey: [UInt8], acceptorNonce: [UInt8]) {
        self.topic = topic
        self.initiatorKey = initiatorKey
        self.initiatorNonce = initiatorNonce
        self.acceptorKey = acceptorKey
        self.acceptorNonce = acceptorNonce
    }

    public var welcomeTranscript: [UInt8] { transcript(label: "tom-link-v1 welcome") }
    public var proofTranscript: [UInt8] { transcript(label: "tom-link-v1 proof") }

    public func verifyWelcome(_ signature: [UInt8]) -> Bool {
        Ed25519.verify(signature: signature, message: welcomeTranscript, publicKey: acceptorKey)
    }

    public func verifyProof(_ signature: [UInt8]) -> Bool {
        Ed25519.verify(signature: signature, message: proofTranscript, publicKey: initiatorKey)
    }

    private func transcript(label: String) -> [UInt8] {
        Array(label.utf8) + topic.bytes + initiatorKey + initiatorNonce + acceptorKey + acceptorNonce
    }
}
