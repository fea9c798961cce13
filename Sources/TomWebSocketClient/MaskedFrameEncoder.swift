import NIOCore

/// Builds complete, masked client frames (RFC 6455 §5.2) straight into a `ByteBuffer`, many
/// per buffer, for `WebSocketConnection.writeEncodedFrames(_:)`: one buffer and one flush for
/// a whole batch of messages instead of a `WebSocketFrame`, a mask pass and a pipeline trip each.
///
/// Each frame gets its own random masking key, as a browser's would. Not thread-safe: keep
/// one encoder per event loop.
public struct MaskedFrameEncoder {
    private var keys = MaskingKeyPool()

    public init() {}

    /// Header bytes of a masked frame with `payloadLength` payload bytes.
    public static func headerSize(payloadLength: Int) -> Int {
        (payloadLength < 126 ? 2 : payloadLength <= Int(UInt16.max) ? 4 : 10) + 4
    }

    /// Appends one final (FIN) text frame of `payloadLength` bytes. `fill` must write exactly
    /// the payload into the region it is given (its size is `payloadLength`); the encoder
    /// then masks that region in place.
    public mutating func appendTextFrame(
        payloadLength: Int, to buffer: inout ByteBuffer, fill: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        appendFrame(opcode: 0x1, payloadLength: payloadLength, to: &buffer, fill: fill)
    }

    /// Appends one final (FIN) text frame holding `payload` (UTF-8 bytes).
    public mutating func appendTextFrame(_ payload: some Collection<UInt8>, to buffer: inout ByteBuffer) {
        appendTextFrame(payloadLength: payload.count, to: &buffer) { region in
            _ = region.initializeMemory(as: UInt8.self, from: payload)
        }
    }

    private mutating func appendFrame(
        opcode: UInt8, payloadLength: Int, to buffer: inout ByteBuffer,
        fill: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        precondition(payloadLength >= 0, "negative payload length")
        let headerSize = Self.headerSize(payloadLength: payloadLength)
        let key = keys.next()
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: headerSize + payloadLength) { frame in
            frame[0] = 0x80 | opcode
            var offset = 2
            if payloadLength < 126 {
                frame[1] = 0x80 | UInt8(payloadLength)
            } else if payloadLength <= Int(UInt16.max) {
                frame[1] = 0x80 | 126
                frame.storeBytes(of: UInt16(payloadLength).bigEndian, toByteOffset: 2, as: UInt16.self)
                offset = 4
            } else {
                frame[1] = 0x80 | 127
                frame.storeBytes(of: UInt64(payloadLength).bigEndian, toByteOffset: 2, as: UInt64.self)
                offset = 10
            }
            frame.storeBytes(of: key, toByteOffset: offset, as: UInt32.self)
            let payload = UnsafeMutableRawBufferPointer(
                rebasing: frame[(offset + 4)..<(offset + 4 + payloadLength)])
            fill(payload)
            Self.mask(payload, key: key)
            return headerSize + payloadLength
        }
    }

    /// XORs `bytes` with the key as laid out in memory (byte i with key byte i % 4), eight
    /// bytes at a time.
    static func mask(_ bytes: UnsafeMutableRawBufferPointer, key: UInt32) {
        guard let base = bytes.baseAddress else { return }
        let wide = UInt64(key) | UInt64(key) << 32
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            base.storeBytes(of: word ^ wide, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        withUnsafeBytes(of: key) { keyBytes in
            while offset < bytes.count {
                bytes[offset] ^= keyBytes[offset & 3]
                offset += 1
            }
        }
    }
}
