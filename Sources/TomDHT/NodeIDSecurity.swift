/// BEP 42: node ids restricted by the node's external IP, so that nobody can choose an id
/// next to a target without controlling many addresses.
///
/// The first 21 bits of a compliant id equal the first 21 bits of
/// `crc32c((ip & mask) | (r << 29 or 61))`, where `r` is the low 3 bits of the id's last byte.
public enum NodeIDSecurity {
    /// How many leading bits of the id are fixed by the hash; BEP 42 found more would leave
    /// some ids unreachable.
    public static let constrainedPrefixBits = 21

    static let ipv4Mask: UInt32 = 0x030F_3FFF
    static let ipv6Mask: UInt64 = 0x0103_070F_1F3F_7FFF

    /// The CRC32C of the masked address with `r` (its low 3 bits) mixed in.
    public static func hash(for ip: IPAddress, r: UInt8) -> UInt32 {
        let r3 = r & 0x7
        switch ip {
        case .v4(let address):
            let masked = (address.value & ipv4Mask) | UInt32(r3) << 29
            return CRC32C.checksum(bigEndianBytes(masked))
        case .v6(let address):
            let masked = (address.high & ipv6Mask) | UInt64(r3) << 61
            return CRC32C.checksum(bigEndianBytes(masked))
        }
    }

    /// A compliant id for `ip`: the hash prefix, then bits taken from `filler`, then
    /// `randomByte` as the last byte (only its low 3 bits enter the hash).
    public static func secureID(for ip: IPAddress, randomByte: UInt8, filler: NodeID) -> NodeID {
        let hash = hash(for: ip, r: randomByte)
        var bytes = filler.bytes
        bytes[0] = UInt8(truncatingIfNeeded: hash >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: hash >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: hash >> 8) & 0xF8 | bytes[2] & 0x07
        bytes[19] = randomByte
        return NodeID(bytes: bytes) ?? filler
    }

    /// A random compliant id for `ip`, drawing all free bits from `generator`.
    public static func secureID(for ip: IPAddress, using generator: inout some RandomNumberGenerator) -> NodeID {
        let filler = NodeID.random(using: &generator)
        let randomByte = UInt8.random(in: 0...UInt8.max, using: &generator)
        return secureID(for: ip, randomByte: randomByte, filler: filler)
    }

    /// Whether `id` carries the hash prefix of `ip`. Ignores exemptions.
    public static func idMatches(_ id: NodeID, ip: IPAddress) -> Bool {
        let bytes = id.bytes
        let expected = secureID(for: ip, randomByte: bytes[19], filler: id)
        return expected.commonPrefixLength(with: id) >= constrainedPrefixBits
    }

    /// Whether a node with `id` at `ip` satisfies BEP 42, counting local-network addresses
    /// (loopback, private, link-local) as exempt.
    public static func isCompliant(_ id: NodeID, ip: IPAddress) -> Bool {
        ip.isLocalNetwork || idMatches(id, ip: ip)
    }

    private static func bigEndianBytes<Word: FixedWidthInteger>(_ word: Word) -> [UInt8] {
        stride(from: Word.bitWidth - 8, through: 0, by: -8).map { UInt8(truncatingIfNeeded: word >> Word($0)) }
    }
}
