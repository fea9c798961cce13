/// A 160-bit Kademlia identifier: a node id, an info-hash or a BEP 44 target.
///
/// Stored as three fixed-width words (most significant first) so that XOR, comparison and
/// prefix length are a few machine instructions and the type never allocates.
public struct NodeID: Hashable, Sendable {
    public static let byteCount = 20
    public static let bitCount = 160

    var high: UInt64
    var middle: UInt64
    var low: UInt32

    init(high: UInt64, middle: UInt64, low: UInt32) {
        self.high = high
        self.middle = middle
        self.low = low
    }

    public static let zero = NodeID(high: 0, middle: 0, low: 0)
    public static let max = NodeID(high: .max, middle: .max, low: .max)

    /// Reads 20 big-endian bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == NodeID.byteCount else { return nil }
        var high: UInt64 = 0
        var middle: UInt64 = 0
        var low: UInt32 = 0
        for (offset, byte) in bytes.enumerated() {
            switch offset {
            case 0..<8: high = high << 8 | UInt64(byte)
            case 8..<16: middle = middle << 8 | UInt64(byte)
            default: low = low << 8 | UInt32(byte)
            }
        }
        self.init(high: high, middle: middle, low: low)
    }

    /// Reads 40 hexadecimal digits (either case); nil for anything else.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The 20 big-endian bytes, as sent on the wire.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(NodeID.byteCount)
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: middle >> UInt64(shift))) }
        for shift in stride(from: 24, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: low >> UInt32(shift))) }
        return result
    }

    public var hex: String {
        Hex.encode(bytes)
    }

    /// A uniformly random id drawn from the injected generator, so runs can be replayed.
    public static func random(using generator: inout some RandomNumberGenerator) -> NodeID {
        NodeID(high: generator.next(), middle: generator.next(), low: generator.next())
    }
}

extension NodeID: CustomStringConvertible {
    public var description: String { hex }
}

// MARK: - Kademlia metric

extension NodeID {
    public static func ^ (lhs: NodeID, rhs: NodeID) -> NodeID {
        NodeID(high: lhs.high ^ rhs.high, middle: lhs.middle ^ rhs.middle, low: lhs.low ^ rhs.low)
    }

    /// The XOR distance, itself a 160-bit number; smaller is closer.
    public func distance(to other: NodeID) -> NodeID {
        self ^ other
    }

    /// How many leading bits the two ids share (160 when equal).
    public func commonPrefixLength(with other: NodeID) -> Int {
        (self ^ other).leadingZeroBitCount
    }

    /// The number of leading zero bits, 160 for zero.
    public var leadingZeroBitCount: Int {
        if high != 0 { return high.leadingZeroBitCount }
        if middle != 0 { return 64 + middle.leadingZeroBitCount }
        return 128 + low.leadingZeroBitCount
    }

    /// Whether `self` is strictly closer to `target` than `other` is.
    public func isCloser(to target: NodeID, than other: NodeID) -> Bool {
        distance(to: target) < other.distance(to: target)
    }

    /// Bit `index`, counting from the most significant bit (index 0).
    public func bit(at index: Int) -> Bool {
        precondition((0..<NodeID.bitCount).contains(index), "bit index out of range")
        switch index {
        case 0..<64: return high >> UInt64(63 - index) & 1 == 1
        case 64..<128: return middle >> UInt64(127 - index) & 1 == 1
        default: return low >> UInt32(159 - index) & 1 == 1
        }
    }

    /// A copy with bit `index` (from the most significant end) flipped.
    public func flippingBit(at index: Int) -> NodeID {
        precondition((0..<NodeID.bitCount).contains(index), "bit index out of range")
        var copy = self
        switch index {
        case 0..<64: copy.high ^= 1 << UInt64(63 - index)
        case 64..<128: copy.middle ^= 1 << UInt64(127 - index)
        default: copy.low ^= 1 << UInt32(159 - index)
        }
        return copy
    }

    /// An id whose first `length` bits come from `prefix` and whose remaining bits are random.
    public static func random(
        sharingPrefixOf prefix: NodeID,
        length: Int,
        using generator: inout some RandomNumberGenerator
    ) -> NodeID {
        let clampedLength = Swift.min(Swift.max(length, 0), NodeID.bitCount)
        let mask = NodeID.prefixMask(length: clampedLength)
        let randomBits = NodeID.random(using: &generator)
        return (prefix & mask) | (randomBits & ~mask)
    }

    /// Ones in the first `length` bits, zeros after.
    static func prefixMask(length: Int) -> NodeID {
        func wordMask<Word: FixedWidthInteger & UnsignedInteger>(_ bits: Int, _: Word.Type) -> Word {
            if bits <= 0 { return 0 }
            if bits >= Word.bitWidth { return .max }
            return ~(Word.max >> Word(bits))
        }
        return NodeID(
            high: wordMask(length, UInt64.self),
            middle: wordMask(length - 64, UInt64.self),
            low: wordMask(length - 128, UInt32.self)
        )
    }

    static func & (lhs: NodeID, rhs: NodeID) -> NodeID {
        NodeID(high: lhs.high & rhs.high, middle: lhs.middle & rhs.middle, low: lhs.low & rhs.low)
    }

    static func | (lhs: NodeID, rhs: NodeID) -> NodeID {
        NodeID(high: lhs.high | rhs.high, middle: lhs.middle | rhs.middle, low: lhs.low | rhs.low)
    }

    static prefix func ~ (id: NodeID) -> NodeID {
        NodeID(high: ~id.high, middle: ~id.middle, low: ~id.low)
    }
}

/// Ordered as unsigned 160-bit integers, which is what makes XOR distances comparable.
extension NodeID: Comparable {
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low)
    }
}

enum Hex {
    static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("0123456789abcdef".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            characters.append(alphabet[Int(byte >> 4)])
            characters.append(alphabet[Int(byte & 0x0f)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Decodes an even-length hex string; nil on any non-hex digit.
    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let upper = value(of: digits[index]), let lower = value(of: digits[index + 1]) else { return nil }
            bytes.append(upper << 4 | lower)
            index += 2
        }
        return bytes
    }
}
