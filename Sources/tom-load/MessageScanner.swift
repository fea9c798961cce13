import Glibc

/// Byte-level peeks into server JSON, cheap enough for every received message.
///
/// It relies on what this tool controls: `payload` carries only `t`, `s` and an ASCII `pad`,
/// node ids are hex and usernames are `load-N`, so a key pattern such as `"t"` cannot occur
/// inside a string value. Whitespace and key order are free, so a server that re-serialises
/// signals differently still parses.
enum MessageScanner {
    enum Kind {
        case signal, participants, presence, heartbeat, error, other
    }

    /// Every participants entry of a load client holds its 64-hex node id and 64-hex
    /// encryption key, so a list naming N clients is at least N times this long.
    static let minimumParticipantEntryBytes = 128

    /// The value of the first `"type"` key.
    static func kind(of text: String) -> Kind {
        withBytes(text) { bytes in
            guard let valueStart = valueStart(ofKey: typeKey, in: bytes), valueStart < bytes.count,
                bytes[valueStart] == UInt8(ascii: "\"")
            else { return .other }
            let value = UnsafeBufferPointer(rebasing: bytes[(valueStart + 1)...])
            if hasPrefix(value, signalValue) { return .signal }
            if hasPrefix(value, participantsValue) { return .participants }
            if hasPrefix(value, presenceValue) { return .presence }
            if hasPrefix(value, heartbeatValue) { return .heartbeat }
            if hasPrefix(value, errorValue) { return .error }
            return .other
        }
    }

    /// The integer value of the first `"key"` (e.g. `t` or `s`), if it is an integer.
    static func integer(forKey key: String, in text: String) -> Int64? {
        let pattern = Array("\"\(key)\"".utf8)
        return withBytes(text) { bytes in
            guard var index = valueStart(ofKey: pattern, in: bytes) else { return nil }
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var value: Int64 = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"),
                digits < 18
            {
                value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
            return negative ? -value : value
        }
    }

    /// How many times `"nodeId"` occurs: one per entry of a `participants` list.
    /// Lists reach megabytes, so this jumps between capital `I`s with memchr: hex ids,
    /// `load-N` usernames and the other keys contain none.
    static func nodeIdCount(in text: String) -> Int {
        let anchor = UInt8(ascii: "I")
        let anchorOffset = 5  // "nodeId" -> the I
        return withBytes(text) { bytes in
            guard let base = bytes.baseAddress else { return 0 }
            var count = 0
            var index = anchorOffset
            while index < bytes.count,
                let found = memchr(base + index, Int32(anchor), bytes.count - index)
            {
                let anchorIndex = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let start = anchorIndex - anchorOffset
                if start + nodeIdKey.count <= bytes.count,
                    hasPrefix(UnsafeBufferPointer(rebasing: bytes[start...]), nodeIdKey)
                {
                    count += 1
                }
                index = anchorIndex + 1
            }
            return count
        }
    }

    // MARK: Internals

    private static let typeKey = Array("\"type\"".utf8)
    private static let nodeIdKey = Array("\"nodeId\"".utf8)
    private static let signalValue = Array("signal\"".utf8)
    private static let participantsValue = Array("participants\"".utf8)
    private static let presenceValue = Array("presence\"".utf8)
    private static let heartbeatValue = Array("heartbeat\"".utf8)
    private static let errorValue = Array("error\"".utf8)

    private static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// Index of the first byte of the value after `"key"`, skipping `:` and whitespace.
    private static func valueStart(ofKey key: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var searchFrom = 0
        while let found = firstIndex(of: key, in: bytes, from: searchFrom) {
            var index = skipWhitespace(bytes, from: found + key.count)
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                index = skipWhitespace(bytes, from: index + 1)
                return index
            }
            // The pattern was a string value, not a key; keep looking.
            searchFrom = found + 1
        }
        return nil
    }

    private static func skipWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < bytes.count,
            bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\n")
                || bytes[index] == UInt8(ascii: "\t") || bytes[index] == UInt8(ascii: "\r")
        {
            index += 1
        }
        return index
    }

    private static func firstIndex(of pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let first = pattern.first, bytes.count >= pattern.count else { return nil }
        var index = start
        let lastStart = bytes.count - pattern.count
        while index <= lastStart {
            if bytes[index] == first, hasPrefix(UnsafeBufferPointer(rebasing: bytes[index...]), pattern) {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        for offset in 0..<prefix.count where bytes[offset] != prefix[offset] {
            return false
        }
        return true
    }
}
