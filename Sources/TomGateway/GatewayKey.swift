import TomCrypto

/// A gateway's Ed25519 public key: its identity in rosters, links and the DHT.
public struct GatewayKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ bytes: [UInt8]) {
        guard bytes.count == Ed25519KeyPair.publicKeyLength else { return nil }
        self.bytes = bytes
    }

    public static func < (lhs: GatewayKey, rhs: GatewayKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    /// Enough of the key to tell gateways apart in logs.
    public var description: String { String(hex.prefix(12)) }
}
