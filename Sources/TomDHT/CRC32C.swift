/// CRC-32C (Castagnoli), the checksum BEP 42 uses to tie node ids to IP addresses.
///
/// Table-driven, one byte per step: BEP 42 hashes at most 8 bytes, so nothing faster is needed.
public enum CRC32C {
    /// The bit-reversed Castagnoli polynomial 0x1EDC6F41.
    static let reversedPolynomial: UInt32 = 0x82F6_3B78

    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ reversedPolynomial : crc >> 1
        }
        return crc
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}
