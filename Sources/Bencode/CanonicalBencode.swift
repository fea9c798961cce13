/// A bencoded value whose bytes are known to be canonical, kept together with its decoded form.
///
/// BEP 44 items are signed and hashed over their encoded bytes, and a storing node must
/// reject a value whose bencoding is not canonical. Holding both forms, with the guarantee
/// that encoding `value` gives back exactly `bytes`, lets callers sign, hash, store and
/// re-send an item without ever re-deriving the bytes.
public struct CanonicalBencode: Hashable, Sendable {
    public let bytes: [UInt8]
    public let value: BencodeValue

    /// Accepts `bytes` only if they are canonical bencode, byte for byte.
    ///
    /// A decode that requires sorted keys is enough: minimal integers and lengths are
    /// already enforced, so such input has exactly one encoding.
    public init(
        validating bytes: [UInt8],
        limits: BencodeDecoder.Limits = BencodeDecoder.Limits()
    ) throws(BencodeError) {
        let decoder = BencodeDecoder(limits: limits, keyOrder: .requireSorted)
        self.value = try decoder.decode(bytes)
        self.bytes = bytes
    }

    public init(
        validating bytes: ArraySlice<UInt8>,
        limits: BencodeDecoder.Limits = BencodeDecoder.Limits()
    ) throws(BencodeError) {
        try self.init(validating: Array(bytes), limits: limits)
    }

    /// For bytes already proven canonical whose decoded form is `value` (`BencodeDocument`).
    init(trustedBytes bytes: [UInt8], value: BencodeValue) {
        self.bytes = bytes
        self.value = value
    }

    public init(_ value: BencodeValue) {
        self.value = value
        self.bytes = value.encoded()
    }

    public static func == (lhs: CanonicalBencode, rhs: CanonicalBencode) -> Bool {
        lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }
}
