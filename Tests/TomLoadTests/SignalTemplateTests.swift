import NIOCore
import Testing
import TomWebSocketClient

@testable import tom_load

@Suite("tom-load signal frames")
struct SignalTemplateTests {
    @Test(arguments: [0, 200, 70_000])
    func framesCarryExactlyTheMessageARealClientSends(padding: Int) throws {
        let sender = LoadIdentity(index: 17)
        let peers = [LoadIdentity(index: 1), LoadIdentity(index: 2)]
        var template = SignalTemplate(identity: sender, targetLength: 64, padding: padding)
        var encoder = MaskedFrameEncoder()
        let paddingText = String(repeating: "x", count: padding)
        // Same-length times rewrite only the digits; a new length rebuilds the message.
        for sentAt: Int64 in [0, 7, 10, 99, 1_234_567_890_123, 9_876_543_210_987, .max] {
            template.startBurst(sentAt: sentAt)
            var buffer = ByteBuffer()
            for peer in peers {
                Array(peer.nodeId.utf8).withUnsafeBytes { id in
                    template.appendFrame(to: id, into: &buffer, encoder: &encoder)
                }
            }
            #expect(buffer.readableBytes == 2 * template.frameSize)
            let texts = try decodeClientFrames(buffer).map(\.text)
            #expect(texts == peers.map { sender.signalMessage(to: $0.nodeId, sentAt: sentAt, padding: paddingText) })
        }
    }

    @Test func decimalsMatchSwiftsOwnFormatting() {
        for value: Int64 in [0, 5, -5, 10, 99, 100, -1_000_000_007, .max, .min] {
            var bytes: [UInt8] = []
            SignalTemplate.appendDecimal(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
    }
}
