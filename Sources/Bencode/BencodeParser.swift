/// The recursive-descent reader behind `BencodeDecoder`.
///
/// Every read is bounds-checked against `end` and all arithmetic on input-derived numbers is
/// overflow-checked, so no input can make it trap.
struct BencodeParser {
    let input: [UInt8]
    var position: Int
    let end: Int
    let limits: BencodeDecoder.Limits
    let keyOrder: BencodeDecoder.KeyOrderPolicy
    private var elementCount = 0

    init(input: [UInt8], decoder: BencodeDecoder) throws(BencodeError) {
        guard input.count <= decoder.limits.maxInputSize else { throw .tooLarge }
        self.init(input: input, range: input.startIndex..<input.endIndex, decoder: decoder)
    }

    /// A parser over a sub-range that is already known to hold valid bencode.
    init(input: [UInt8], range: Range<Int>, decoder: BencodeDecoder) {
        self.input = input
        self.position = range.lowerBound
        self.end = range.upperBound
        self.limits = decoder.limits
        self.keyOrder = decoder.keyOrder
    }

    var isAtEnd: Bool { position >= end }

    /// The next byte, without consuming it.
    func peek() throws(BencodeError) -> UInt8 {
        guard position < end else { throw .truncated }
        return input[position]
    }

    mutating func expect(_ byte: UInt8) throws(BencodeError) {
        guard try peek() == byte else { throw .unexpectedByte }
        position += 1
    }

    /// Consumes a container terminator if it is next.
    mutating func consumeEnd() throws(BencodeError) -> Bool {
        guard try peek() == ASCII.end else { return false }
        position += 1
        return true
    }

    mutating func parseValue(depth: Int) throws(BencodeError) -> BencodeValue {
        let first = try peek()
        try countElement()
        switch first {
        case ASCII.integerStart:
            return .integer(try parseInteger())
        case ASCII.zero...ASCII.nine:
            return .bytes(try parseBytes())
        case ASCII.listStart:
            return .list(try parseList(depth: depth + 1))
        case ASCII.dictionaryStart:
            return .dictionary(try parseDictionary(depth: depth + 1))
        default:
            throw .unexpectedByte
        }
    }

    mutating func countElement() throws(BencodeError) {
        elementCount += 1
        guard elementCount <= limits.maxElementCount else { throw .tooManyElements }
    }

    mutating func parseInteger() throws(BencodeError) -> Int64 {
        try expect(ASCII.integerStart)
        var isNegative = false
        if try peek() == ASCII.minus {
            isNegative = true
            position += 1
        }
        let digitsStart = position
        var magnitude: UInt64 = 0
        // 2^63: the magnitude of Int64.min, the largest magnitude any Int64 can have.
        let magnitudeLimit = UInt64(Int64.max) + 1
        while true {
            let byte = try peek()
            if byte == ASCII.end { break }
            guard let digit = ASCII.digitValue(byte) else { throw .invalidInteger }
            let (shifted, overflowA) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflowA, !overflowB, next <= magnitudeLimit else { throw .invalidInteger }
            magnitude = next
            position += 1
        }
        let digitCount = position - digitsStart
        guard digitCount > 0 else { throw .invalidInteger }
        if input[digitsStart] == ASCII.zero, digitCount > 1 { throw .invalidInteger }
        if isNegative, magnitude == 0 { throw .invalidInteger }
        position += 1  // the terminating "e"

        if isNegative {
            if magnitude == magnitudeLimit { return Int64.min }
            return -Int64(magnitude)
        }
        guard magnitude < magnitudeLimit else { throw .invalidInteger }
        return Int64(magnitude)
    }

    /// Reads a `<length>:<bytes>` string. The length is checked against the remaining
    /// input before anything is allocated, so a huge prefix costs nothing.
    private mutating func parseBytes() throws(BencodeError) -> [UInt8] {
        let range = try parseByteStringRange()
        return Array(input[range])
    }

    /// The range of a byte string's contents, leaving the parser just after it.
    mutating func parseByteStringRange() throws(BencodeError) -> Range<Int> {
        let digitsStart = position
        var length = 0
        while true {
            let byte = try peek()
            if byte == ASCII.colon { break }
            guard let digit = ASCII.digitValue(byte) else { throw .invalidLength }
            let (shifted, overflowA) = length.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { throw .tooLarge }
            guard next <= limits.maxInputSize else { throw .tooLarge }
            length = next
            position += 1
        }
        let digitCount = position - digitsStart
        guard digitCount > 0 else { throw .invalidLength }
        if input[digitsStart] == ASCII.zero, digitCount > 1 { throw .invalidLength }
        position += 1  // the colon

        guard length <= end - position else { throw .truncated }
        let range = position..<(position + length)
        position += length
        return range
    }

    private mutating func parseList(depth: Int) throws(BencodeError) -> [BencodeValue] {
        guard depth <= limits.maxDepth else { throw .tooDeep }
        try expect(ASCII.listStart)
        var elements: [BencodeValue] = []
        while try !consumeEnd() {
            elements.append(try parseValue(depth: depth))
        }
        return elements
    }

    private mutating func parseDictionary(depth: Int) throws(BencodeError) -> [[UInt8]: BencodeValue] {
        guard depth <= limits.maxDepth else { throw .tooDeep }
        try expect(ASCII.dictionaryStart)
        var dictionary: [[UInt8]: BencodeValue] = [:]
        var previousKey: [UInt8]?
        while try !consumeEnd() {
            let key = try parseKey()
            if let previousKey {
                if key == previousKey { throw .duplicateKey }
                if keyOrder == .requireSorted, key.lexicographicallyPrecedes(previousKey) {
                    throw .unsortedKeys
                }
            }
            let value = try parseValue(depth: depth)
            guard dictionary.updateValue(value, forKey: key) == nil else { throw .duplicateKey }
            previousKey = key
        }
        return dictionary
    }

    mutating func parseKey() throws(BencodeError) -> [UInt8] {
        let first = try peek()
        switch first {
        case ASCII.zero...ASCII.nine:
            try countElement()
            return try parseBytes()
        case ASCII.integerStart, ASCII.listStart, ASCII.dictionaryStart:
            throw .nonStringKey
        default:
            throw .unexpectedByte
        }
    }
}

/// The bytes that structure bencode.
enum ASCII {
    static let integerStart = UInt8(ascii: "i")
    static let listStart = UInt8(ascii: "l")
    static let dictionaryStart = UInt8(ascii: "d")
    static let end = UInt8(ascii: "e")
    static let colon = UInt8(ascii: ":")
    static let minus = UInt8(ascii: "-")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")

    static func digitValue(_ byte: UInt8) -> Int? {
        guard byte >= zero, byte <= nine else { return nil }
        return Int(byte - zero)
    }
}
