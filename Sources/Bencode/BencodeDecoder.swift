/// Decodes bencode strictly and totally: every input either yields a value or a
/// `BencodeError`; nothing traps, and work and memory are bounded by `Limits`.
public struct BencodeDecoder: Sendable {
    /// Bounds that keep a hostile input from costing more than a fixed budget.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted input, and therefore largest possible byte string.
        public var maxInputSize: Int
        /// Deepest nesting of lists and dictionaries; a lone `le` has depth 1.
        /// Recursion is bounded by this, so it also bounds stack use.
        public var maxDepth: Int
        /// Most values (including dictionary keys) in one document.
        public var maxElementCount: Int

        public init(maxInputSize: Int = 1 << 20, maxDepth: Int = 32, maxElementCount: Int = 100_000) {
            self.maxInputSize = maxInputSize
            self.maxDepth = maxDepth
            self.maxElementCount = maxElementCount
        }
    }

    /// Whether dictionary keys must appear in raw-byte order.
    ///
    /// Canonical bencode requires sorted keys, but some deployed DHT clients send them
    /// unsorted, so accepting them is the default. Duplicate keys are always rejected:
    /// there is no sound way to choose which value wins.
    public enum KeyOrderPolicy: Sendable, Hashable {
        case requireSorted
        case allowUnsorted
    }

    public var limits: Limits
    public var keyOrder: KeyOrderPolicy

    public init(limits: Limits = Limits(), keyOrder: KeyOrderPolicy = .allowUnsorted) {
        self.limits = limits
        self.keyOrder = keyOrder
    }

    /// A decoder that accepts only canonical bencode: what it accepts re-encodes to the same bytes.
    public static var canonical: BencodeDecoder {
        BencodeDecoder(keyOrder: .requireSorted)
    }

    /// Decodes exactly one value that must span the whole input.
    public func decode(_ input: [UInt8]) throws(BencodeError) -> BencodeValue {
        var parser = try BencodeParser(input: input, decoder: self)
        let value = try parser.parseValue(depth: 0)
        guard parser.isAtEnd else { throw .trailingData }
        return value
    }

    public func decode(_ input: ArraySlice<UInt8>) throws(BencodeError) -> BencodeValue {
        try decode(Array(input))
    }

    /// Decodes a value written as text, convenient in tests and for ASCII-only documents.
    public func decode(_ text: String) throws(BencodeError) -> BencodeValue {
        try decode(Array(text.utf8))
    }
}
