import Glibc
import NIOCore

/// Byte-level peeks into server JSON, cheap enough for every received message: they read
/// the bytes in place (a `ByteBuffer` or a `String`'s UTF-8) and build no `String`.
///
/// It relies on what this tool controls: `payload` carries only `t`, `s` and an ASCII `pad`,
/// node ids are hex and usernames are `load-N`, so a key pattern such as `"t"` cannot occur
/// inside a string value. Whitespace and key order are free, so a server that re-serialises
/// signals differently still parses.
enum MessageScanner {
    typealias Bytes = UnsafeRawBufferPointer

    enum Kind {
        case signal, participants, presence, heartbeat, error, other
    }

    /// What the relay needs from one message.
    enum RelayMessage: Equatable {
        /// A signal of this tool's: its send time (`t`) and sender index (`s`).
        case signal(sentAt: Int64, sender: Int64)
        /// A signal without readable `t` and `s`: not one of ours.
        case foreignSignal
        case participants, error, other
    }

    /// Every participants entry of a load client holds its 64-hex node id and 64-hex
    /// encryption key, so a list naming N clients is at least N times this long.
    static let minimumParticipantEntryBytes = 128

    /// The value of the first `"type"` key.
    static func kind(of bytes: Bytes) -> Kind {
        guard let valueStart = valueStart(ofKey: typeKey, in: bytes, from: 0), valueStart < bytes.count,
            bytes[valueStart] == UInt8(ascii: "\"")
        else { return .other }
        let value = Bytes(rebasing: bytes[(valueStart + 1)...])
        if hasPrefix(value, signalValue) { return .signal }
        if hasPrefix(value, participantsValue) { return .participants }
        if hasPrefix(value, presenceValue) { return .presence }
        if hasPrefix(value, heartbeatValue) { return .heartbeat }
        if hasPrefix(value, errorValue) { return .error }
        return .other
    }

    /// The kind of a message and, for a signal, its `t` and `s`, in one pass over the bytes
    /// before the padding.
    static func relayMessage(in bytes: Bytes) -> RelayMessage {
        switch kind(of: bytes) {
        case .signal:
            guard let sentAt = integer(forKey: tKey, in: bytes),
                let sender = integer(forKey: sKey, in: bytes)
            else { return .foreignSignal }
            return .signal(sentAt: sentAt, sender: sender)
        case .participants: return .participants
        case .error: return .error
        case .presence, .heartbeat, .other: return .other
        }
    }

    /// The integer value of the first `"key"` (e.g. `"t"`, quotes included), if it is an integer.
    static func integer(forKey pattern: [UInt8], in bytes: Bytes) -> Int64? {
        guard var index = valueStart(ofKey: pattern, in: bytes, from: 0) else { return nil }
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

    /// How many times `"nodeId"` occurs: one per entry of a `participants` list.
    /// Lists reach megabytes, so this jumps between capital `I`s with memchr: hex ids,
    /// `load-N` usernames and the other keys contain none.
    static func nodeIdCount(in bytes: Bytes) -> Int {
        let anchor = UInt8(ascii: "I")
        let anchorOffset = 5  // "nodeId" -> the I
        guard let base = bytes.baseAddress else { return 0 }
        var count = 0
        var index = anchorOffset
        while index < bytes.count, let found = memchr(base + index, Int32(anchor), bytes.count - index) {
            let anchorIndex = base.distance(to: UnsafeRawPointer(found))
            let start = anchorIndex - anchorOffset
            if start + nodeIdKey.count <= bytes.count, hasPrefix(Bytes(rebasing: bytes[start...]), nodeIdKey) {
                count += 1
            }
            index = anchorIndex + 1
        }
        return count
    }

    // MARK: Strings and buffers

    static func kind(of text: String) -> Kind {
        withBytes(text) { kind(of: $0) }
    }

    static func integer(forKey key: String, in text: String) -> Int64? {
        let pattern = Array("\"\(key)\"".utf8)
        return withBytes(text) { integer(forKey: pattern, in: $0) }
    }

    static func nodeIdCount(in text: String) -> Int {
        withBytes(text) { nodeIdCount(in: $0) }
    }

    static func relayMessage(in buffer: ByteBuffer) -> RelayMessage {
        buffer.withUnsafeReadableBytes { relayMessage(in: $0) }
    }

    static func nodeIdCount(in buffer: ByteBuffer) -> Int {
        buffer.withUnsafeReadableBytes { nodeIdCount(in: $0) }
    }

    // MARK: Internals

    private static let typeKey = Array("\"type\"".utf8)
    private static let tKey = Array("\"t\"".utf8)
    private static let sKey = Array("\"s\"".utf8)
    private static let nodeIdKey = Array("\"nodeId\"".utf8)
    private static let signalValue = Array("signal\"".utf8)
    private static let participantsValue = Array("participants\"".utf8)
    private static let presenceValue = Array("presence\"".utf8)
    private static let heartbeatValue = Array("heartbeat\"".utf8)
    private static let errorValue = Array("error\"".utf8)

    private static func withBytes<R>(_ text: String, _ body: (Bytes) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(Bytes($0)) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBytes(body)
    }

    /// Index of the first byte of the value after `"key"`, skipping `:` and whitespace.
    private static func valueStart(ofKey key: [UInt8], in bytes: Bytes, from start: Int) -> Int? {
        var searchFrom = start
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

    private static func skipWhitespace(_ bytes: Bytes, from start: Int) -> Int {
        var index = start
        while index < bytes.count,
            bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\n")
                || bytes[index] == UInt8(ascii: "\t") || bytes[index] == UInt8(ascii: "\r")
        {
            index += 1
        }
        return index
    }

    /// Jumps with memchr(3) between occurrences of the pattern's second byte (a letter, in
    /// keys like `"t"`: far rarer than the quote), then compares the whole pattern there.
    private static func firstIndex(of pattern: [UInt8], in bytes: Bytes, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, !pattern.isEmpty, start >= 0 else { return nil }
        let anchorOffset = pattern.count > 1 ? 1 : 0
        let anchor = Int32(pattern[anchorOffset])
        var index = start + anchorOffset
        while index < bytes.count, let found = memchr(base + index, anchor, bytes.count - index) {
            let anchorIndex = base.distance(to: UnsafeRawPointer(found))
            let candidate = anchorIndex - anchorOffset
            if candidate + pattern.count <= bytes.count, hasPrefix(Bytes(rebasing: bytes[candidate...]), pattern) {
                return candidate
            }
            index = anchorIndex + 1
        }
        return nil
    }

    private static func hasPrefix(_ bytes: Bytes, _ prefix: [UInt8]) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        for offset in 0..<prefix.count where bytes[offset] != prefix[offset] {
            return false
        }
        return true
    }
}
