/// A bencoded document validated once and indexed, so that a reader can pick the few values
/// it needs without building a `BencodeValue` tree.
///
/// Building the tree costs a hash table per dictionary and an array per byte string; a DHT
/// node answering a `ping` only needs four short strings of a 60-byte datagram. The index is
/// one flat array of nodes in document order (a value's descendants follow it, and `next`
/// skips them), with byte ranges into the original input.
///
/// Acceptance is exactly `BencodeDecoder.decode`'s: the same limits, key-order policy,
/// duplicate-key rule and strict integers and lengths, and for every rejected input the same
/// `BencodeError` (the index is built by the same parser, in the same order).
public struct BencodeDocument: Sendable {
    /// The kind of one value.
    public enum Kind: UInt8, Sendable {
        case integer
        case bytes
        case list
        case dictionary
    }

    /// A value's position in the index. Only meaningful for the document that produced it.
    public typealias Node = Int

    struct Entry: Sendable {
        var kind: Kind
        /// The value's first byte in the input.
        var start: Int
        /// One past its last byte.
        var end: Int
        /// Byte strings: where the contents begin (after the colon).
        var contentStart: Int
        /// The node after this value and its descendants.
        var next: Int
        /// Lists: elements; dictionaries: entries (key and value pairs).
        var count: Int
        var integer: Int64
    }

    /// The input, as given.
    public let bytes: [UInt8]
    let entries: [Entry]

    /// Validates `input` with `decoder`'s rules and indexes it.
    public init(_ input: [UInt8], decoder: BencodeDecoder = BencodeDecoder()) throws(BencodeError) {
        var parser = try BencodeParser(input: input, decoder: decoder)
        var entries: [Entry] = []
        entries.reserveCapacity(32)
        try parser.indexValue(depth: 0, into: &entries)
        guard parser.isAtEnd else { throw .trailingData }
        self.bytes = input
        self.entries = entries
    }

    /// The top-level value.
    public var root: Node { 0 }

    /// Values in the document, keys included; nodes are `0..<nodeCount` in document order.
    public var nodeCount: Int { entries.count }

    public func kind(_ node: Node) -> Kind {
        entries[node].kind
    }

    /// The integer at `node`; nil when it is not an integer.
    public func integer(_ node: Node) -> Int64? {
        let entry = entries[node]
        return entry.kind == .integer ? entry.integer : nil
    }

    /// Where the contents of the byte string at `node` are; nil when it is not a byte string.
    public func contentRange(_ node: Node) -> Range<Int>? {
        let entry = entries[node]
        return entry.kind == .bytes ? entry.contentStart..<entry.end : nil
    }

    /// The contents of the byte string at `node`, without copying; nil when it is not one.
    public func bytes(_ node: Node) -> ArraySlice<UInt8>? {
        contentRange(node).map { bytes[$0] }
    }

    /// The value's own bytes, exactly as they appear in the input.
    public func rawRange(_ node: Node) -> Range<Int> {
        entries[node].start..<entries[node].end
    }

    /// Elements of a list or entries of a dictionary; 0 for anything else.
    public func count(_ node: Node) -> Int {
        entries[node].count
    }

    /// The elements of the list at `node`, in order; nil when it is not a list.
    public func elements(_ node: Node) -> Children? {
        let entry = entries[node]
        guard entry.kind == .list else { return nil }
        return Children(entries: entries, current: node + 1, remaining: entry.count)
    }

    /// The value stored under `key` in the dictionary at `node`; nil when `node` is not a
    /// dictionary or has no such key (keys are unique, so there is at most one).
    public func value(forKey key: String, in node: Node) -> Node? {
        let entry = entries[node]
        guard entry.kind == .dictionary else { return nil }
        var key = key
        // One pass over raw buffers: this runs a dozen times per datagram.
        return key.withUTF8 { wanted in
            bytes.withUnsafeBufferPointer { input in
                entries.withUnsafeBufferPointer { entries in
                    var keyNode = node + 1
                    for _ in 0..<entry.count {
                        let keyEntry = entries[keyNode]
                        if keyEntry.end - keyEntry.contentStart == wanted.count,
                           UnsafeBufferPointer(rebasing: input[keyEntry.contentStart..<keyEntry.end]).elementsEqual(wanted) {
                            return keyNode + 1
                        }
                        keyNode = entries[keyNode + 1].next
                    }
                    return nil
                }
            }
        }
    }

    /// The value at `node` as a tree, equal to what `BencodeDecoder.decode` gives for it.
    public func value(_ node: Node) -> BencodeValue {
        let entry = entries[node]
        switch entry.kind {
        case .integer:
            return .integer(entry.integer)
        case .bytes:
            return .bytes(Array(bytes[entry.contentStart..<entry.end]))
        case .list:
            var elements: [BencodeValue] = []
            elements.reserveCapacity(entry.count)
            var child = node + 1
            for _ in 0..<entry.count {
                elements.append(value(child))
                child = entries[child].next
            }
            return .list(elements)
        case .dictionary:
            var dictionary: [[UInt8]: BencodeValue] = [:]
            dictionary.reserveCapacity(entry.count)
            var keyNode = node + 1
            for _ in 0..<entry.count {
                let keyEntry = entries[keyNode]
                dictionary[Array(bytes[keyEntry.contentStart..<keyEntry.end])] = value(keyNode + 1)
                keyNode = entries[keyNode + 1].next
            }
            return .dictionary(dictionary)
        }
    }

    /// The value at `node` with its exact input bytes, when those bytes are canonical
    /// bencode; nil otherwise. Equivalent to `CanonicalBencode(validating:)` on
    /// `rawRange(node)` with this document's limits: the document is already valid, so the
    /// only thing left to check is that every dictionary inside the value has sorted keys.
    public func canonicalValue(_ node: Node) -> CanonicalBencode? {
        let last = entries[node].next
        var index = node
        while index < last {
            let entry = entries[index]
            if entry.kind == .dictionary, entry.count > 1 {
                var keyNode = index + 1
                var previous = bytes[entries[keyNode].contentStart..<entries[keyNode].end]
                for _ in 1..<entry.count {
                    keyNode = entries[keyNode + 1].next
                    let key = bytes[entries[keyNode].contentStart..<entries[keyNode].end]
                    // Keys are unique, so "not after" means "before".
                    guard previous.lexicographicallyPrecedes(key) else { return nil }
                    previous = key
                }
            }
            index += 1
        }
        return CanonicalBencode(trustedBytes: Array(bytes[rawRange(node)]), value: value(node))
    }

    /// The nodes of a list's elements, in order.
    public struct Children: Sequence, IteratorProtocol, Sendable {
        let entries: [Entry]
        var current: Int
        var remaining: Int

        public mutating func next() -> Node? {
            guard remaining > 0 else { return nil }
            let node = current
            current = entries[node].next
            remaining -= 1
            return node
        }

        public var underestimatedCount: Int { remaining }
    }
}

extension BencodeParser {
    /// Parses one value like `parseValue`, appending it and its descendants to `entries`.
    /// Every check happens in the same order as in `parseValue`, so the first error found
    /// is the same.
    mutating func indexValue(depth: Int, into entries: inout [BencodeDocument.Entry]) throws(BencodeError) {
        let first = try peek()
        try countElement()
        let start = position
        switch first {
        case ASCII.integerStart:
            let number = try parseInteger()
            entries.append(.init(kind: .integer, start: start, end: position, contentStart: start, next: entries.count + 1, count: 0, integer: number))
        case ASCII.zero...ASCII.nine:
            let range = try parseByteStringRange()
            entries.append(.init(kind: .bytes, start: start, end: position, contentStart: range.lowerBound, next: entries.count + 1, count: 0, integer: 0))
        case ASCII.listStart:
            try indexList(depth: depth + 1, into: &entries)
        case ASCII.dictionaryStart:
            try indexDictionary(depth: depth + 1, into: &entries)
        default:
            throw .unexpectedByte
        }
    }

    private mutating func indexList(depth: Int, into entries: inout [BencodeDocument.Entry]) throws(BencodeError) {
        guard depth <= limits.maxDepth else { throw .tooDeep }
        let start = position
        try expect(ASCII.listStart)
        let index = entries.count
        entries.append(.init(kind: .list, start: start, end: start, contentStart: start, next: 0, count: 0, integer: 0))
        var count = 0
        while try !consumeEnd() {
            try indexValue(depth: depth, into: &entries)
            count += 1
        }
        entries[index].end = position
        entries[index].next = entries.count
        entries[index].count = count
    }

    /// Unsorted dictionaries (allowed by `.allowUnsorted`) need a check of each key against
    /// all earlier ones; past this many keys it uses a hash set instead of a scan, so a
    /// hostile dictionary of thousands of unsorted keys costs linear time, not quadratic.
    private static let linearDuplicateScanLimit = 16

    private mutating func indexDictionary(depth: Int, into entries: inout [BencodeDocument.Entry]) throws(BencodeError) {
        guard depth <= limits.maxDepth else { throw .tooDeep }
        let start = position
        try expect(ASCII.dictionaryStart)
        let index = entries.count
        entries.append(.init(kind: .dictionary, start: start, end: start, contentStart: start, next: 0, count: 0, integer: 0))
        var count = 0
        var previousKey: Range<Int>?
        // While every key so far came after the one before it, a key after the last one
        // cannot repeat any of them.
        var isAscending = true
        var seenKeys: Set<ArraySlice<UInt8>>?
        while try !consumeEnd() {
            // As `parseKey`.
            let keyStart = position
            switch try peek() {
            case ASCII.zero...ASCII.nine:
                try countElement()
            case ASCII.integerStart, ASCII.listStart, ASCII.dictionaryStart:
                throw .nonStringKey
            default:
                throw .unexpectedByte
            }
            let keyRange = try parseByteStringRange()
            let key = input[keyRange]
            var isAfterPrevious = true
            if let previousKey {
                let previous = input[previousKey]
                if key.elementsEqual(previous) { throw .duplicateKey }
                isAfterPrevious = previous.lexicographicallyPrecedes(key)
                if keyOrder == .requireSorted, !isAfterPrevious { throw .unsortedKeys }
            }
            entries.append(.init(kind: .bytes, start: keyStart, end: position, contentStart: keyRange.lowerBound, next: entries.count + 1, count: 0, integer: 0))
            let keyNode = entries.count - 1
            try indexValue(depth: depth, into: &entries)

            // As the tree decoder, a repeat of an earlier (not the previous) key is found
            // after its value has been parsed.
            if isAscending, !isAfterPrevious { isAscending = false }
            if !isAscending {
                if seenKeys == nil, count >= Self.linearDuplicateScanLimit {
                    var keys = Set<ArraySlice<UInt8>>(minimumCapacity: count * 2)
                    var node = index + 1
                    for _ in 0..<count {
                        keys.insert(input[entries[node].contentStart..<entries[node].end])
                        node = entries[node + 1].next
                    }
                    seenKeys = keys
                }
                if seenKeys != nil {
                    guard seenKeys!.insert(key).inserted else { throw .duplicateKey }
                } else {
                    var node = index + 1
                    while node < keyNode {
                        if input[entries[node].contentStart..<entries[node].end].elementsEqual(key) { throw .duplicateKey }
                        node = entries[node + 1].next
                    }
                }
            }
            previousKey = keyRange
            count += 1
        }
        entries[index].end = position
        entries[index].next = entries.count
        entries[index].count = count
    }
}
