import NIOCore
import NIOWebSocket

extension WebSocketFrame {
    /// The payload, unmasked eight bytes at a time (NIOWebSocket's `unmaskedData` goes byte by
    /// byte, which was 7 % of the server's time relaying signals), and whether it is all ASCII,
    /// found in the same pass so most text needs no separate UTF-8 check. Frames here carry
    /// no extension data (no extension is negotiated), so the mask starts at offset 0.
    var unmaskedPayload: (bytes: ByteBuffer, isASCII: Bool) {
        var payload = data
        guard let maskKey else { return (payload, payload.isASCII) }
        let isASCII = payload.withUnsafeMutableReadableBytes { bytes in
            Self.unmask(bytes, key: maskKey)
        }
        return (payload, isASCII)
    }

    private static func unmask(_ bytes: UnsafeMutableRawBufferPointer, key: WebSocketMaskingKey) -> Bool {
        var key32: UInt32 = 0
        withUnsafeMutableBytes(of: &key32) { keyBytes in
            for index in 0..<4 { keyBytes[index] = key[index] }
        }
        let key64 = UInt64(key32) | UInt64(key32) << 32
        var high: UInt64 = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) ^ key64
            bytes.storeBytes(of: word, toByteOffset: offset, as: UInt64.self)
            high |= word
            offset += 8
        }
        var tail: UInt8 = 0
        while offset < bytes.count {
            bytes[offset] ^= key[offset % 4]
            tail |= bytes[offset]
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0 && tail & 0x80 == 0
    }
}

extension WebSocketFrame {
    /// A binary message as frames of at most `maxFrameBytes`, so it passes a peer whose frame
    /// limit is our own (a gateway link's other end).
    static func fragments(ofBinary bytes: [UInt8], maxFrameBytes: Int) -> [WebSocketFrame] {
        let size = max(1, maxFrameBytes)
        var frames: [WebSocketFrame] = []
        var start = 0
        repeat {
            let end = min(bytes.count, start + size)
            frames.append(WebSocketFrame(
                fin: end == bytes.count,
                opcode: start == 0 ? .binary : .continuation,
                data: ByteBuffer(bytes: bytes[start..<end])
            ))
            start = end
        } while start < bytes.count
        return frames
    }
}

extension ByteBuffer {
    /// Whether every readable byte is ASCII.
    var isASCII: Bool {
        withUnsafeReadableBytes { bytes in bytes.allSatisfy { $0 < 0x80 } }
    }

    /// Whether the readable bytes are UTF-8, without building a String for the common
    /// all-ASCII message.
    var isValidUTF8: Bool {
        isASCII || String(validating: readableBytesView, as: UTF8.self) != nil
    }
}
