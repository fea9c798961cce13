import NIOCore
import Testing

/// Reads back the client frames a buffer holds, checking what RFC 6455 asks of a client's
/// frame on the way: FIN, no RSV bits, the MASK bit, and the shortest length encoding.
struct DecodedFrame: Equatable {
    let opcode: UInt8
    let payload: [UInt8]

    var text: String { String(decoding: payload, as: UTF8.self) }
}

struct TruncatedFrame: Error {}

func decodeClientFrames(_ buffer: ByteBuffer) throws -> [DecodedFrame] {
    let bytes = Array(buffer.readableBytesView)
    var index = 0
    func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard bytes.count - index >= count else { throw TruncatedFrame() }
        defer { index += count }
        return bytes[index..<(index + count)]
    }
    var frames: [DecodedFrame] = []
    while index < bytes.count {
        let header = try take(2)
        let first = header.first!
        let second = header.last!
        #expect(first & 0xF0 == 0x80, "FIN set, RSV clear")
        #expect(second & 0x80 == 0x80, "client frames are masked")
        var length = Int(second & 0x7F)
        if length == 126 {
            length = try take(2).reduce(0) { $0 << 8 | Int($1) }
            #expect(length >= 126, "shortest length encoding")
        } else if length == 127 {
            length = try take(8).reduce(0) { $0 << 8 | Int($1) }
            #expect(length > 0xFFFF, "shortest length encoding")
        }
        let key = Array(try take(4))
        let payload = try take(length).enumerated().map { $0.element ^ key[$0.offset % 4] }
        frames.append(DecodedFrame(opcode: first & 0x0F, payload: payload))
    }
    return frames
}
