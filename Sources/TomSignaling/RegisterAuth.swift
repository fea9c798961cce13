import NIOCore

/// The wire side of the opt-in authenticated register (Docs/legacy-protocol.md,
/// "Authenticated register"): the challenge, the two error texts, the fields a register
/// carries, and the exact bytes a client signs. Verification needs Ed25519 and lives in
/// TomServer's `RegisterAuthenticator`; this file has no cryptography, so a client (tom-harness)
/// builds the same bytes from the same code.
public enum RegisterAuth {
    /// Offered as a WebSocket subprotocol, it asks for a challenge as soon as the socket opens.
    public static let subprotocol = "tom-auth.v1"
    /// Domain separation: a signature made for this purpose is never valid for another
    /// (roster pages, BEP 44 items and gateway links sign other labels).
    public static let label = "tom-register-auth:v1"
    public static let nonceLength = 32
    public static let keyLength = 32
    public static let signatureLength = 64

    /// `label ‖ 0x00 ‖ nonce (32) ‖ server key (32) ‖ node key (32)`: what a client signs with
    /// the Ed25519 key whose public half is its nodeId. The nonce ties the proof to one
    /// connection; the server's key ties it to one server, so a server cannot replay a
    /// challenge it relayed from another.
    public static func signedBytes(nonce: [UInt8], serverKey: [UInt8], nodeKey: [UInt8]) -> [UInt8] {
        var bytes = Array(label.utf8)
        bytes.reserveCapacity(bytes.count + 1 + nonce.count + serverKey.count + nodeKey.count)
        bytes.append(0)
        bytes += nonce
        bytes += serverKey
        bytes += nodeKey
        return bytes
    }

    /// `{"type":"challenge","nonce":"<64 hex>","server":"<64 hex>"}`.
    public static func challenge(nonceHex: String, serverKeyHex: String) -> ByteBuffer {
        var json = JSONWriter(capacity: 180)
        json.raw(#"{"type":"challenge","nonce":"#)
        json.string(nonceHex)
        json.raw(#","server":"#)
        json.string(serverKeyHex)
        json.raw("}")
        return json.buffer
    }

    /// `{"type":"error","error":"authentication required"|"authentication failed"}`.
    public static func error(_ error: RegisterAuthError) -> ByteBuffer {
        var json = JSONWriter(capacity: 64)
        json.raw(#"{"type":"error","error":"#)
        json.string(error.rawValue)
        json.raw("}")
        return json.buffer
    }
}

/// The two error texts of the authenticated register; old clients never see them.
public enum RegisterAuthError: String, Sendable, Equatable, CaseIterable {
    /// A register without a signature where one is needed (`--require-auth`, or a connection
    /// that asked for authentication).
    case required = "authentication required"
    /// A signature that is malformed or does not verify, or a nodeId that is not an Ed25519
    /// public key in hex.
    case failed = "authentication failed"

    /// The `tom_errors_total` kind.
    public var metricName: String {
        switch self {
        case .required: "auth_required"
        case .failed: "auth_failed"
        }
    }
}

/// The authentication members of a `register`, read apart from `LegacyRequest` so the
/// request (and every hub) stays exactly as old clients need it.
public struct RegisterAuthFields: Sendable, Equatable {
    /// `"auth":true`: the client asks for a challenge.
    public var asksForChallenge: Bool
    /// `"signature"`, when it is a string (validated by the verifier, not here).
    public var signature: String?

    public init(asksForChallenge: Bool = false, signature: String? = nil) {
        self.asksForChallenge = asksForChallenge
        self.signature = signature
    }

    /// Total: text that is not a JSON object yields no fields. Only called for messages that
    /// already decoded as a register, so the text is valid JSON.
    public static func decode(_ buffer: ByteBuffer, maxDepth: Int = JSONScanner.defaultMaxDepth) -> RegisterAuthFields {
        buffer.withUnsafeReadableBytes { raw in
            guard let document = try? JSONScanner.scan(raw.bindMemory(to: UInt8.self), maxDepth: maxDepth),
                  let members = document.members
            else { return RegisterAuthFields() }
            return RegisterAuthFields(
                asksForChallenge: members["auth"]?.kind == .bool(true),
                signature: members["signature"]?.stringValue
            )
        }
    }
}
