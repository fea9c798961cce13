import NIOCore
import NIOWebSocket
import Testing
@testable import TomServer

/// The word-at-a-time unmasking and the fragmenting of routed messages, against NIOWebSocket's
/// own byte-at-a-time unmasking.
struct WebSocketFramePayloadTests {
    static let key = WebSocketMaskingKey([0x37, 0xfa, 0x21, 0x3d])!

    func masked(_ bytes: [UInt8]) -> WebSocketFrame {
        var data = ByteBuffer(bytes: bytes)
        data.webSocketMask(Self.key)
        return WebSocketFrame(fin: true, opcode: .text, maskKey: Self.key, data: data)
    }

    @Test(arguments: [0, 1, 3, 7, 8, 9, 15, 16, 17, 200, 1025])
    func unmasksLikeNIOAtEveryLength(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) & 0x7f }
        let frame = masked(bytes)
        let payload = frame.unmaskedPayload
        #expect(payload.bytes == frame.unmaskedData)
        #expect(Array(buffer: payload.bytes) == bytes)
        #expect(payload.isASCII)
    }

    @Test(arguments: [0, 5, 8, 13])
    func findsANonASCIIByteAnywhere(position: Int) {
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 14)
        bytes[position] = 0xc3
        #expect(!masked(bytes).unmaskedPayload.isASCII)
    }

    @Test func unmaskedFrameIsReadAsIs() {
        let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "héllo"))
        let payload = frame.unmaskedPayload
        #expect(String(buffer: payload.bytes) == "héllo")
        #expect(!payload.isASCII)
    }

    @Test func fragmentsReassembleInOrder() {
        let bytes = (0..<2500).map { UInt8(truncatingIfNeeded: $0) }
        let frames = WebSocketFrame.fragments(ofBinary: bytes, maxFrameBytes: 1024)
        #expect(frames.map(\.opcode) == [.binary, .continuation, .continuation])
        #expect(frames.map(\.fin) == [false, false, true])
        #expect(frames.flatMap { Array(buffer: $0.data) } == bytes)
        #expect(WebSocketFrame.fragments(ofBinary: [], maxFrameBytes: 1024).map(\.fin) == [true])
    }

    @Test func closeAnswersFollowRFC6455() {
        func answer(_ bytes: [UInt8]) -> WebSocketErrorCode {
            WebSocketConnectionHandler.answer(toClosePayload: ByteBuffer(bytes: bytes))
        }
        #expect(answer([]) == .normalClosure)
        #expect(answer([0x03]) == .protocolError)
        #expect(answer([0x03, 0xe8]) == .normalClosure)
        #expect(answer([0x03, 0xe8, 0xff]) == .protocolError)
        #expect(answer([0x0b, 0xb8]) == .normalClosure)  // 3000, an application code
        #expect(answer([0x00, 0x10]) == .protocolError)  // 16, never valid
    }
}
