/// One step into a bencoded document: a dictionary key or a list index.
public enum BencodePathComponent: Hashable, Sendable {
    case key([UInt8])
    case index(Int)
}

extension BencodePathComponent: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .key(Array(value.utf8))
    }
}

extension BencodePathComponent: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self = .index(value)
    }
}

extension BencodeDecoder {
    /// Where the value at `path` sits in `input`, byte for byte as it was sent.
    ///
    /// BEP 44 signatures cover the bencoded value exactly as transmitted; re-encoding a
    /// decoded value could differ (for instance when a sender's keys were unsorted), so
    /// signature checks must use these bytes. The whole input is validated first with
    /// this decoder's rules, so a range is only returned from a well-formed document.
    /// Returns nil when the path does not exist.
    public func rangeOfValue(
        at path: [BencodePathComponent],
        in input: [UInt8]
    ) throws(BencodeError) -> Range<Int>? {
        _ = try decode(input)
        var range = input.startIndex..<input.endIndex
        for component in path {
            var parser = BencodeParser(input: input, range: range, decoder: self)
            guard let inner = try parser.locate(component) else { return nil }
            range = inner
        }
        return range
    }

    /// The exact bytes of the value at `path`, or nil when the path does not exist.
    public func rawBytes(
        at path: [BencodePathComponent],
        in input: [UInt8]
    ) throws(BencodeError) -> ArraySlice<UInt8>? {
        guard let range = try rangeOfValue(at: path, in: input) else { return nil }
        return input[range]
    }
}

extension BencodeParser {
    /// Finds one child of the container at the current position. Used only on input that
    /// has already been validated, so it need not re-check ordering or limits.
    mutating func locate(_ component: BencodePathComponent) throws(BencodeError) -> Range<Int>? {
        switch component {
        case .key(let wanted):
            guard try peek() == ASCII.dictionaryStart else { return nil }
            position += 1
            while try !consumeEnd() {
                let key = try parseKey()
                let valueStart = position
                _ = try parseValue(depth: 0)
                if key == wanted { return valueStart..<position }
            }
            return nil
        case .index(let wanted):
            guard try peek() == ASCII.listStart else { return nil }
            position += 1
            var index = 0
            while try !consumeEnd() {
                let valueStart = position
                _ = try parseValue(depth: 0)
                if index == wanted { return valueStart..<position }
                index += 1
            }
            return nil
        }
    }
}
