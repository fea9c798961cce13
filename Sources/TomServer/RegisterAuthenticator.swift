import NIOCore
import TomCrypto
import TomSignaling

/// One connection's side of the opt-in authenticated register (Docs/legacy-protocol.md,
/// "Authenticated register"): the server sends a random nonce, and a register is let through
/// only with an Ed25519 signature, by the key whose hex is the nodeId, over
/// `RegisterAuth.signedBytes`.
///
/// A connection that never asks (no `tom-auth.v1` subprotocol, no `"auth":true`) on a server
/// without `--require-auth` is never challenged, and its registers pass untouched: old clients
/// see no difference. The nonce lives as long as the connection, so a client may register
/// again (a new username, another nodeId it holds) without a new round trip; a signature is
/// worth nothing on any other connection or server.
struct RegisterAuthenticator: Sendable {
    enum Decision: Equatable, Sendable {
        /// Hand the register to the hub.
        case register
        /// Do not register; send this challenge.
        case challenge(ByteBuffer)
        /// Do not register; answer with this error.
        case refuse(RegisterAuthError)
    }

    let required: Bool
    let serverKey: [UInt8]
    private let makeNonce: @Sendable () -> [UInt8]
    private(set) var nonce: [UInt8]?

    init(required: Bool, serverKey: [UInt8], makeNonce: @escaping @Sendable () -> [UInt8] = RegisterAuthenticator.randomNonce) {
        self.required = required
        self.serverKey = serverKey
        self.makeNonce = makeNonce
    }

    static func randomNonce() -> [UInt8] {
        // SystemRandomNumberGenerator reads the kernel's CSPRNG (getrandom on Linux).
        var generator = SystemRandomNumberGenerator()
        return (0..<RegisterAuth.nonceLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The server key as it is signed: a node key that is not 32 bytes of hex (only in tests)
    /// is replaced by zeros, so the server still states exactly what it expects.
    static func serverKey(fromHex hex: String) -> [UInt8] {
        guard let key = Hex.decode(hex), key.count == RegisterAuth.keyLength else {
            return [UInt8](repeating: 0, count: RegisterAuth.keyLength)
        }
        return key
    }

    /// Whether the client offered the `tom-auth.v1` subprotocol (in any position, any header).
    static func offered(in protocolHeaders: [String]) -> Bool {
        protocolHeaders.contains { header in
            header.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == RegisterAuth.subprotocol }
        }
    }

    /// The challenge to send as the socket opens: with `--require-auth`, or when the client
    /// offered the `tom-auth.v1` subprotocol. Nil otherwise (the legacy behaviour).
    mutating func opening(clientAsked: Bool) -> ByteBuffer? {
        guard required || clientAsked else { return nil }
        return issueChallenge()
    }

    /// What to do with a decoded register whose message carried `fields`.
    mutating func decide(_ participant: Participant, fields: RegisterAuthFields) -> Decision {
        guard let nonce else {
            // Not challenged yet: only a client that asks (or a server that requires it) starts.
            return fields.asksForChallenge || required ? .challenge(issueChallenge()) : .register
        }
        guard let signatureHex = fields.signature else {
            return fields.asksForChallenge ? .challenge(challengeMessage(nonce)) : .refuse(.required)
        }
        guard let signature = Hex.decode(signatureHex), signature.count == RegisterAuth.signatureLength,
              let nodeKey = Hex.decode(participant.nodeId), nodeKey.count == RegisterAuth.keyLength
        else { return .refuse(.failed) }
        let message = RegisterAuth.signedBytes(nonce: nonce, serverKey: serverKey, nodeKey: nodeKey)
        return Ed25519.verify(signature: signature, message: message, publicKey: nodeKey) ? .register : .refuse(.failed)
    }

    private mutating func issueChallenge() -> ByteBuffer {
        let fresh = makeNonce()
        nonce = fresh
        return challengeMessage(fresh)
    }

    private func challengeMessage(_ nonce: [UInt8]) -> ByteBuffer {
        RegisterAuth.challenge(nonceHex: Hex.encode(nonce), serverKeyHex: Hex.encode(serverKey))
    }
}

extension RegisterAuthenticator {
    /// Sends the opening challenge, if any, to `session`.
    mutating func open(_ session: ClientSession, clientAsked: Bool, metrics: SignalingMetrics) {
        guard let challenge = opening(clientAsked: clientAsked) else { return }
        session.send(challenge)
        metrics.countOut(type: "challenge", messages: 1, bytes: challenge.readableBytes)
    }

    /// Screens a register before the hub sees it: true lets it through; otherwise the client
    /// has been answered (a challenge or an error) and the register is dropped.
    mutating func admit(_ participant: Participant, text: ByteBuffer, session: ClientSession, metrics: SignalingMetrics) -> Bool {
        switch decide(participant, fields: RegisterAuthFields.decode(text)) {
        case .register:
            if nonce != nil { metrics.authenticatedRegisters.increment() }
            return true
        case .challenge(let challenge):
            session.send(challenge)
            metrics.countOut(type: "challenge", messages: 1, bytes: challenge.readableBytes)
            return false
        case .refuse(let error):
            let message = RegisterAuth.error(error)
            session.send(message)
            metrics.countOut(type: "error", messages: 1, bytes: message.readableBytes)
            metrics.countError(error.metricName)
            return false
        }
    }
}
