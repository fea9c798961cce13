/// One bencoded value, as defined by BEP 3.
///
/// Dictionary keys are raw byte strings rather than `String`: the wire format allows any
/// bytes in a key, and canonical ordering is defined on raw bytes, not on Unicode text.
public enum BencodeValue: Hashable, Sendable {
    case integer(Int64)
    case bytes([UInt8])
    case list([BencodeValue])
    case dictionary([[UInt8]: BencodeValue])
}

// MARK: - Builders

extension BencodeValue {
    /// A byte string holding the UTF-8 encoding of `text`.
    public static func string(_ text: String) -> BencodeValue {
        .bytes(Array(text.utf8))
    }

    /// A dictionary whose keys are given as text (encoded as UTF-8).
    public static func dictionary(stringKeys entries: [String: BencodeValue]) -> BencodeValue {
        var dictionary: [[UInt8]: BencodeValue] = [:]
        dictionary.reserveCapacity(entries.count)
        for (key, value) in entries {
            dictionary[Array(key.utf8)] = value
        }
        return .dictionary(dictionary)
    }
}

extension BencodeValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .bytes(Array(value.utf8))
    }
}

extension BencodeValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension BencodeValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: BencodeValue...) {
        self = .list(elements)
    }
}

extension BencodeValue: ExpressibleByDictionaryLiteral {
    /// Later duplicates win, matching how a `[String: BencodeValue]` literal would behave
    /// if it were allowed to contain duplicates.
    public init(dictionaryLiteral elements: (String, BencodeValue)...) {
        var dictionary: [[UInt8]: BencodeValue] = [:]
        for (key, value) in elements {
            dictionary[Array(key.utf8)] = value
        }
        self = .dictionary(dictionary)
    }
}

// MARK: - Accessors

extension BencodeValue {
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var bytesValue: [UInt8]? {
        if case .bytes(let value) = self { return value }
        return nil
    }

    /// The byte string decoded as UTF-8, or nil when it is not a byte string or not valid UTF-8.
    public var stringValue: String? {
        guard case .bytes(let value) = self else { return nil }
        return String(validating: value, as: UTF8.self)
    }

    public var listValue: [BencodeValue]? {
        if case .list(let value) = self { return value }
        return nil
    }

    public var dictionaryValue: [[UInt8]: BencodeValue]? {
        if case .dictionary(let value) = self { return value }
        return nil
    }

    /// The value stored under a text key, when this is a dictionary.
    public subscript(key: String) -> BencodeValue? {
        guard case .dictionary(let dictionary) = self else { return nil }
        return dictionary[Array(key.utf8)]
    }
}
