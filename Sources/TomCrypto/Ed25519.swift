import CSodium

/// An Ed25519 signing key pair held by libsodium.
///
/// The 32-byte seed is the whole secret: libsodium's 64-byte "secret key" is the seed followed
/// by the public key, so storing the seed alone is enough to restore the pair.
public struct Ed25519KeyPair: Sendable, Equatable {
    public static let seedLength = 32
    public static let publicKeyLength = 32
    public static let signatureLength = 64

    public let seed: [UInt8]
    public let publicKey: [UInt8]
    let secretKey: [UInt8]

    /// Derives the key pair from a 32-byte seed; returns nil for a seed of the wrong length.
    public init?(seed: [UInt8]) {
        guard seed.count == Self.seedLength else { return nil }
        Sodium.ensureReady()
        var publicKey = [UInt8](repeating: 0, count: Self.publicKeyLength)
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        let status = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        guard status == 0 else { return nil }
        self.seed = seed
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh key pair from libsodium's CSPRNG.
    public static func generate() -> Ed25519KeyPair {
        Sodium.ensureReady()
        var seed = [UInt8](repeating: 0, count: seedLength)
        randombytes_buf(&seed, seedLength)
        // A 32-byte seed is always accepted by crypto_sign_seed_keypair.
        return Ed25519KeyPair(seed: seed)!
    }

    /// Detached signature over `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Self.signatureLength)
        _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return signature
    }

    public var publicKeyHex: String { Hex.encode(publicKey) }
}

public enum Ed25519 {
    /// Verifies a detached signature; false for any malformed key or signature length.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == Ed25519KeyPair.signatureLength,
              publicKey.count == Ed25519KeyPair.publicKeyLength
        else { return false }
        Sodium.ensureReady()
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }
}
