import TomCrypto

/// One announcement of the draft "signed peers" BEP: a peer named by an Ed25519 public key
/// (an address on some overlay network) instead of an IP and port, signed by that key.
///
/// The signature covers exactly the 20-byte info-hash followed by `timestamp` as an 8-byte
/// big-endian integer, so a record cannot be moved to another info-hash, and its age is
/// known to anyone who reads it.
public struct SignedPeer: Hashable, Sendable {
    /// The size of one record in a `get_signed_peers` answer: key, timestamp, signature.
    public static let compactLength = Ed25519Sizes.publicKey + 8 + Ed25519Sizes.signature

    /// `k`: 32-byte Ed25519 public key, the peer's identity.
    public var publicKey: [UInt8]
    /// `t`: when the record was signed, in microseconds since the Unix epoch.
    public var timestamp: Int64
    /// `sig`: 64-byte Ed25519 signature of `signedBytes(infoHash:timestamp:)`.
    public var signature: [UInt8]

    public init(publicKey: [UInt8], timestamp: Int64, signature: [UInt8]) {
        self.publicKey = publicKey
        self.timestamp = timestamp
        self.signature = signature
    }

    /// Signs the announcement of `key` for `infoHash` at `timestamp` (Unix microseconds).
    public static func signed(infoHash: NodeID, timestamp: Int64, key: ItemSigningKey) -> SignedPeer {
        SignedPeer(
            publicKey: key.publicKey,
            timestamp: timestamp,
            signature: key.sign(signedBytes(infoHash: infoHash, timestamp: timestamp))
        )
    }

    /// The 28 bytes a signature covers: the info-hash, then the timestamp big-endian.
    public static func signedBytes(infoHash: NodeID, timestamp: Int64) -> [UInt8] {
        infoHash.bytes + bigEndianBytes(timestamp)
    }

    /// Whether `signature` is a valid Ed25519 signature of this record for `infoHash`.
    public func isValid(for infoHash: NodeID) -> Bool {
        Ed25519.verify(
            signature: signature,
            message: Self.signedBytes(infoHash: infoHash, timestamp: timestamp),
            publicKey: publicKey
        )
    }

    /// The 104-byte form of a `peers` entry: key, timestamp big-endian, signature.
    public var compactBytes: [UInt8] {
        publicKey + Self.bigEndianBytes(timestamp) + signature
    }

    /// Reads a 104-byte `peers` entry; nil for any other length or a negative timestamp
    /// (the draft's timestamps are Unix times, and no honest node stores one before 1970).
    public init?(compact bytes: some Collection<UInt8>) {
        let all = Array(bytes)
        guard all.count == Self.compactLength else { return nil }
        let keyEnd = Ed25519Sizes.publicKey
        guard all[keyEnd] & 0x80 == 0 else { return nil }
        let timestamp = all[keyEnd..<(keyEnd + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        self.init(publicKey: Array(all[..<keyEnd]), timestamp: timestamp, signature: Array(all[(keyEnd + 8)...]))
    }

    private static func bigEndianBytes(_ value: Int64) -> [UInt8] {
        let bits = UInt64(bitPattern: value)
        return (0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * $0)) }
    }
}
