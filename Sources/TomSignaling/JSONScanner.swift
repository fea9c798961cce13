/// A strict RFC 8259 validator that also reports, for a top-level object, where each member's
/// value lies in the input.
///
/// The legacy protocol forwards `signal` messages verbatim and echoes `roles` as given, so the
/// server needs the exact bytes of a few top-level members and nothing else; a full
/// `Decodable` tree of multi-KiB payloads would be built only to be thrown away. Every malformed
/// input yields a `JSONSyntaxError`; nothing traps, and nesting depth is bounded so hostile
/// input cannot exhaust the stack.
public struct JSONScanner {
    public static let defaultMaxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private let decodedKeys: [String]?
    private var index = 0
    private var sawWhitespace = false

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, decodedKeys: [String]?) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.decodedKeys = decodedKeys
    }

    /// Validates `bytes` as one JSON text and describes its top level. Top-level string values
    /// are decoded for the members named in `decodedKeys` (all when nil); the others are only
    /// validated (`.undecodedString`, enough for truthiness): a multi-KiB payload need not
    /// become a `String` to be forwarded.
    public static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>,
        maxDepth: Int = defaultMaxDepth,
        decodedKeys: [String]? = nil
    ) throws(JSONSyntaxError) -> JSONDocument {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth, decodedKeys: decodedKeys)
        scanner.skipWhitespace()
        let members: JSONMembers?
        if scanner.peek() == UInt8(ascii: "{") {
            members = try scanner.topLevelObject()
        } else {
            _ = try scanner.value(depth: 1)
            members = nil
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw .trailingData(offset: scanner.index) }
        return JSONDocument(members: members, hasWhitespace: scanner.sawWhitespace)
    }

    public static func scan(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONSyntaxError) -> JSONDocument {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) in
            try scan(buffer, maxDepth: maxDepth)
        }
    }

    // MARK: - Top level

    private mutating func topLevelObject() throws(JSONSyntaxError) -> JSONMembers {
        var members = JSONMembers()
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return members
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpected() }
            let key = try string(decode: true) ?? ""
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let start = index
            let kind = try value(depth: 2, decodeStrings: decodedKeys?.contains(key) ?? true)
            members.append(key, JSONField(raw: start..<index, kind: kind))
            skipWhitespace()
            guard let next = peek() else { throw .unexpectedEnd }
            index += 1
            if next == UInt8(ascii: "}") { return members }
            guard next == UInt8(ascii: ",") else { throw .unexpectedByte(offset: index - 1) }
        }
    }

    // MARK: - Values

    private mutating func value(depth: Int, decodeStrings: Bool = false) throws(JSONSyntaxError) -> JSONField.Kind {
        guard depth <= maxDepth else { throw .tooDeep }
        guard let byte = peek() else { throw .unexpectedEnd }
        switch byte {
        case UInt8(ascii: "{"):
            try object(depth: depth)
            return .object
        case UInt8(ascii: "["):
            try array(depth: depth)
            return .array
        case UInt8(ascii: "\""):
            let start = index
            guard let text = try string(decode: decodeStrings) else {
                return .undecodedString(isEmpty: index - start == 2)
            }
            return .string(text)
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(isZero: try number())
        default:
            throw unexpected()
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) {
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpected() }
            _ = try string(decode: false)
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            _ = try value(depth: depth + 1)
            skipWhitespace()
            guard let next = peek() else { throw .unexpectedEnd }
            index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw .unexpectedByte(offset: index - 1) }
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) {
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            _ = try value(depth: depth + 1)
            skipWhitespace()
            guard let next = peek() else { throw .unexpectedEnd }
            index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw .unexpectedByte(offset: index - 1) }
        }
    }

    /// Returns true when the number's value is zero (JavaScript treats 0 as falsy).
    private mutating func number() throws(JSONSyntaxError) -> Bool {
        let start = index
        var isZero = true
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw .invalidNumber(offset: start) }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let digit = peek(), isDigit(digit) {
                index += 1
            }
            isZero = false
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let digit = peek(), isDigit(digit) else { throw .invalidNumber(offset: start) }
            while let digit = peek(), isDigit(digit) {
                if digit != UInt8(ascii: "0") { isZero = false }
                index += 1
            }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek(), isDigit(digit) else { throw .invalidNumber(offset: start) }
            while let digit = peek(), isDigit(digit) {
                index += 1
            }
        }
        return isZero
    }

    /// Validates a string; decodes it when asked (top-level keys and values only).
    private mutating func string(decode: Bool) throws(JSONSyntaxError) -> String? {
        index += 1
        let contentStart = index
        var decoded: [UInt8] = []
        var hasEscapes = false
        while true {
            guard let byte = peek() else { throw .unexpectedEnd }
            switch byte {
            case UInt8(ascii: "\""):
                let contentEnd = index
                index += 1
                guard decode else { return nil }
                if !hasEscapes {
                    return String(decoding: bytes[contentStart..<contentEnd], as: UTF8.self)
                }
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                if decode && !hasEscapes {
                    decoded.append(contentsOf: bytes[contentStart..<index])
                }
                hasEscapes = true
                index += 1
                try escape(into: &decoded, decode: decode)
            case 0..<0x20:
                throw .controlCharacterInString(offset: index)
            default:
                if decode && hasEscapes { decoded.append(byte) }
                index += 1
            }
        }
    }

    private mutating func escape(into decoded: inout [UInt8], decode: Bool) throws(JSONSyntaxError) {
        guard let byte = peek() else { throw .unexpectedEnd }
        index += 1
        let simple: UInt8?
        switch byte {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0c
        case UInt8(ascii: "n"): simple = 0x0a
        case UInt8(ascii: "r"): simple = 0x0d
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw .invalidEscape(offset: index - 1)
        }
        if let simple {
            if decode { decoded.append(simple) }
            return
        }
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar),
           peek() == UInt8(ascii: "\\"), peek(at: index + 1) == UInt8(ascii: "u")
        {
            let save = index
            index += 2
            let low = try hex4()
            if (0xDC00..<0xE000).contains(low) {
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else {
                index = save
            }
        }
        // JavaScript strings may hold lone surrogates; Swift strings cannot, so they become U+FFFD.
        if decode {
            let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            decoded.append(contentsOf: Array(String(Character(unicode)).utf8))
        }
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw .unexpectedEnd }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .invalidEscape(offset: index)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    // MARK: - Bytes

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let start = index
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard peek() == expected else { throw .unexpectedByte(offset: start) }
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        guard let actual = peek() else { throw .unexpectedEnd }
        guard actual == byte else { throw .unexpectedByte(offset: index) }
        index += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), JSONScanner.isWhitespace(byte) {
            index += 1
            sawWhitespace = true
        }
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
    }

    private func peek() -> UInt8? { peek(at: index) }

    private func peek(at position: Int) -> UInt8? {
        position < bytes.count ? bytes[position] : nil
    }

    private func unexpected() -> JSONSyntaxError {
        index < bytes.count ? .unexpectedByte(offset: index) : .unexpectedEnd
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

/// A validated JSON text: its top-level members when it is an object, nil otherwise.
public struct JSONDocument: Sendable, Equatable {
    public let members: JSONMembers?
    /// Whether whitespace occurs outside strings (so `JSONCompaction` would change the text).
    public let hasWhitespace: Bool
}

/// A top-level object's members in order. Legacy messages have a handful, so a linear
/// search beats hashing every key into a dictionary.
public struct JSONMembers: Sendable, Equatable {
    private var entries: [(key: String, field: JSONField)] = []

    init() {}

    mutating func append(_ key: String, _ field: JSONField) {
        entries.append((key, field))
    }

    /// JavaScript's JSON.parse keeps the last of duplicate keys; so does this.
    public subscript(key: String) -> JSONField? {
        entries.last { $0.key == key }?.field
    }

    public var count: Int { entries.count }

    public static func == (lhs: JSONMembers, rhs: JSONMembers) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.field == $1.field }
    }
}

/// One top-level member: its kind (with the decoded text for strings) and its exact bytes.
public struct JSONField: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case string(String)
        /// A string only validated, not decoded (`JSONScanner.scan`'s `decodedKeys`).
        case undecodedString(isEmpty: Bool)
        case number(isZero: Bool)
        case bool(Bool)
        case null
        case array
        case object
    }

    public let raw: Range<Int>
    public let kind: Kind

    /// JavaScript truthiness, which the legacy server used for its "missing field" checks.
    public var isTruthy: Bool {
        switch kind {
        case .string(let text): !text.isEmpty
        case .undecodedString(let isEmpty): !isEmpty
        case .number(let isZero): !isZero
        case .bool(let value): value
        case .null: false
        case .array, .object: true
        }
    }

    public var stringValue: String? {
        if case .string(let text) = kind { return text }
        return nil
    }
}

public enum JSONSyntaxError: Error, Equatable, Sendable {
    case unexpectedEnd
    case unexpectedByte(offset: Int)
    case invalidNumber(offset: Int)
    case invalidEscape(offset: Int)
    case controlCharacterInString(offset: Int)
    case trailingData(offset: Int)
    case tooDeep
}
