import TomCrypto

/// The client side of the authenticated register, written from Docs/legacy-protocol.md
/// ("Authenticated register") rather than shared with the server, so the harness checks
/// the server against the document and not against itself.
struct RegisterProof {
    static let label = "tom-register-auth:v1"
    static let subprotocol = "tom-auth.v1"

    let key: Ed25519KeyPair

    init(key: Ed25519KeyPair = .generate()) {
        self.key = key
    }

    /// The nodeId this key may register: the hex of its public key.
    var nodeId: String { key.publicKeyHex }

    /// The `signature` answering `challenge` (`{"type":"challenge","nonce","server"}`), or nil
    /// when the challenge is malformed.
    func signature(for challenge: JSONValue) -> String? {
        guard challenge.messageType == "challenge",
              let nonce = challenge["nonce"]?.stringValue.flatMap(Hex.decode), nonce.count == 32,
              let server = challenge["server"]?.stringValue.flatMap(Hex.decode), server.count == 32
        else { return nil }
        return signature(nonce: nonce, server: server)
    }

    /// Signs `label ‖ 0x00 ‖ nonce ‖ server key ‖ node key`.
    func signature(nonce: [UInt8], server: [UInt8]) -> String {
        Hex.encode(key.sign(Array(Self.label.utf8) + [0] + nonce + server + key.publicKey))
    }

    /// A register for this key's nodeId, with `extra` members (`auth`, `signature`).
    func register(username: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var message: JSONValue = [
            "type": "register", "nodeId": .string(nodeId), "username": .string(username), "publicKey": .string(nodeId),
        ]
        for (name, value) in extra { message = message.setting(name, to: value) }
        return message
    }
}
