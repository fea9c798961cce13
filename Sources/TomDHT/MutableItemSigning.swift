import Bencode

/// BEP 44 rules for mutable items that do not need cryptography itself; signing and
/// verifying happen in a crypto module over the bytes produced here.
public enum MutableItemSigning {
    /// Storing nodes may reject larger values (error 205).
    public static let maxValueLength = 1000
    /// Longer salts must be rejected (error 207).
    public static let maxSaltLength = 64

    /// The buffer an ed25519 signature covers: `4:salt<salt>` when the salt is non-empty,
    /// then `3:seqi<seq>e1:v` and the value's bencoded bytes. Built from separately encoded
    /// pieces, as BEP 44 recommends, so no dictionary re-ordering can change it.
    public static func signedBytes(salt: [UInt8]?, sequenceNumber: Int64, value: CanonicalBencode) -> [UInt8] {
        var buffer: [UInt8] = []
        if let salt, !salt.isEmpty {
            BencodeEncoder.append(.string("salt"), to: &buffer)
            BencodeEncoder.append(.bytes(salt), to: &buffer)
        }
        BencodeEncoder.append(.string("seq"), to: &buffer)
        BencodeEncoder.append(.integer(sequenceNumber), to: &buffer)
        BencodeEncoder.append(.string("v"), to: &buffer)
        buffer.append(contentsOf: value.bytes)
        return buffer
    }
}
