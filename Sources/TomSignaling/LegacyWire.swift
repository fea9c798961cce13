import NIOCore

/// Server-to-client messages, serialised once into bytes that every recipient shares.
///
/// Field order follows the original server's objects, so a byte-level capture looks the same.
public enum LegacyWire {
    public static func participants(_ list: some Collection<Participant>) -> ByteBuffer {
        var json = JSONWriter(capacity: 48 + list.count * 200)
        json.raw(#"{"type":"participants","participants":["#)
        var first = true
        for participant in list {
            if !first { json.raw(",") }
            first = false
            json.raw(#"{"nodeId":"#)
            json.string(participant.nodeId)
            json.raw(#","username":"#)
            json.string(participant.username)
            if let encryptionKey = participant.encryptionKey {
                json.raw(#","encryptionKey":"#)
                json.string(encryptionKey)
            }
            json.raw("}")
        }
        json.raw("]}")
        return json.buffer
    }

    public enum PresenceAction: String, Sendable {
        case join
        case leave
    }

    public static func presence(_ action: PresenceAction, _ participant: Participant) -> ByteBuffer {
        var json = JSONWriter(capacity: 256)
        json.raw(#"{"type":"presence","action":""#)
        json.raw(action.rawValue)
        json.raw(#"","nodeId":"#)
        json.string(participant.nodeId)
        json.raw(#","username":"#)
        json.string(participant.username)
        json.raw(#","publicKey":"#)
        json.string(participant.publicKey ?? "")
        if let encryptionKey = participant.encryptionKey {
            json.raw(#","encryptionKey":"#)
            json.string(encryptionKey)
        }
        json.raw("}")
        return json.buffer
    }

    public static func heartbeat(from nodeId: String) -> ByteBuffer {
        var json = JSONWriter(capacity: 96)
        json.raw(#"{"type":"heartbeat","from":"#)
        json.string(nodeId)
        json.raw("}")
        return json.buffer
    }

    public static func roleAssign(nodeIdJSON: ByteBuffer, rolesJSON: ByteBuffer, from sender: String?) -> ByteBuffer {
        var json = JSONWriter(capacity: 96 + nodeIdJSON.readableBytes + rolesJSON.readableBytes)
        json.raw(#"{"type":"role-assign","nodeId":"#)
        json.bytes(nodeIdJSON)
        json.raw(#","roles":"#)
        json.bytes(rolesJSON)
        if let sender {
            json.raw(#","from":"#)
            json.string(sender)
        }
        json.raw("}")
        return json.buffer
    }

    public static func error(_ error: LegacyError) -> ByteBuffer {
        var json = JSONWriter(capacity: 64)
        json.raw(#"{"type":"error","error":"#)
        json.string(error.rawValue)
        json.raw("}")
        return json.buffer
    }
}

/// Appends JSON fragments; strings are escaped as JavaScript's JSON.stringify escapes them.
struct JSONWriter {
    private(set) var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func raw(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    mutating func raw(_ text: String) {
        buffer.writeString(text)
    }

    mutating func bytes(_ bytes: ByteBuffer) {
        buffer.writeImmutableBuffer(bytes)
    }

    mutating func string(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { storage in
            var start = 0
            for (offset, byte) in storage.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5c {
                buffer.writeBytes(UnsafeBufferPointer(rebasing: storage[start..<offset]))
                writeEscape(byte)
                start = offset + 1
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: storage[start...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private mutating func writeEscape(_ byte: UInt8) {
        switch byte {
        case 0x22: buffer.writeStaticString(#"\""#)
        case 0x5c: buffer.writeStaticString(#"\\"#)
        case 0x08: buffer.writeStaticString(#"\b"#)
        case 0x0c: buffer.writeStaticString(#"\f"#)
        case 0x0a: buffer.writeStaticString(#"\n"#)
        case 0x0d: buffer.writeStaticString(#"\r"#)
        case 0x09: buffer.writeStaticString(#"\t"#)
        default:
            let hex = Array("0123456789abcdef".utf8)
            buffer.writeStaticString(#"\u00"#)
            buffer.writeInteger(hex[Int(byte >> 4)])
            buffer.writeInteger(hex[Int(byte & 0x0f)])
        }
    }
}
