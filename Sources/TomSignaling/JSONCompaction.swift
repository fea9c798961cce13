import NIOCore

/// Removes whitespace outside strings from already validated JSON, so a forwarded message
/// has the shape `JSON.stringify` gave it in the original server.
enum JSONCompaction {
    static func compact(_ json: ByteBuffer) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: json.readableBytes)
        var inString = false
        var escaped = false
        for byte in json.readableBytesView {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if JSONScanner.isWhitespace(byte) {
                continue
            }
            out.writeInteger(byte)
        }
        return out
    }
}
