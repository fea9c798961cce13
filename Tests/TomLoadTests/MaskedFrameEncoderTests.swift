import NIOCore
import Testing
import TomWebSocketClient

@Suite("MaskedFrameEncoder")
struct MaskedFrameEncoderTests {
    @Test(arguments: [0, 1, 7, 8, 125, 126, 127, 65535, 65536, 100_003])
    func textFrameRoundTripsAtEveryLengthEncoding(length: Int) throws {
        let payload = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        var encoder = MaskedFrameEncoder()
        var buffer = ByteBuffer()
        encoder.appendTextFrame(payload, to: &buffer)
        #expect(buffer.readableBytes == MaskedFrameEncoder.headerSize(payloadLength: length) + length)
        #expect(try decodeClientFrames(buffer) == [DecodedFrame(opcode: 0x1, payload: payload)])
    }

    @Test func framesInOneBufferHaveTheirOwnKeys() throws {
        var encoder = MaskedFrameEncoder()
        var buffer = ByteBuffer()
        let texts = (0..<3000).map { "message \($0)" }
        for text in texts {
            encoder.appendTextFrame(Array(text.utf8), to: &buffer)
        }
        let frames = try decodeClientFrames(buffer)
        #expect(frames.map(\.text) == texts)
        // The key sits right after the 2-byte header of these short frames.
        var keys = Set<[UInt8]>()
        var offset = 0
        for text in texts {
            keys.insert(buffer.getBytes(at: offset + 2, length: 4)!)
            offset += 6 + text.utf8.count
        }
        #expect(keys.count > 2900, "3,000 frames, all but a few birthday collisions distinct")
    }
}
