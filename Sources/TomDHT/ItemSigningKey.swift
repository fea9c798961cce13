import TomCrypto

/// An Ed25519 key that signs BEP 44 mutable items. Wraps the libsodium key pair so callers
/// of the DHT core need not import the crypto module.
public struct ItemSigningKey: Sendable, Equatable {
    let keyPair: Ed25519KeyPair

    /// Derives the key from its 32-byte seed; nil for any other length.
    public init?(seed: [UInt8]) {
        guard let keyPair = Ed25519KeyPair(seed: seed) else { return nil }
        self.keyPair = keyPair
    }

    public init(_ keyPair: Ed25519KeyPair) {
        self.keyPair = keyPair
    }

    /// A key whose seed is drawn from `generator`, for tests and simulations that must replay.
    public static func random(using generator: inout some RandomNumberGenerator) -> ItemSigningKey {
        let seed = (0..<Ed25519KeyPair.seedLength).map { _ in UInt8.random(in: 0...UInt8.max, using: &generator) }
        // Any 32 bytes are a valid seed.
        return ItemSigningKey(seed: seed)!
    }

    public var seed: [UInt8] { keyPair.seed }
    public var publicKey: [UInt8] { keyPair.publicKey }

    public func sign(_ message: [UInt8]) -> [UInt8] {
        keyPair.sign(message)
    }
}
