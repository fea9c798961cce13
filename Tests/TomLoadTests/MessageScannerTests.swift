import NIOCore
import Testing

@testable import tom_load

@Suite("tom-load MessageScanner")
struct MessageScannerTests {
    private func scan(_ text: String) -> MessageScanner.RelayMessage {
        MessageScanner.relayMessage(in: ByteBuffer(string: text))
    }

    @Test func readsTheSendTimeAndSenderOfOurSignals() {
        let sender = LoadIdentity(index: 42)
        let peer = LoadIdentity(index: 3)
        let signal = sender.signalMessage(to: peer.nodeId, sentAt: 987_654_321, padding: "xxxx")
        #expect(scan(signal) == .signal(sentAt: 987_654_321, sender: 42))
        // Whitespace and key order are the server's business.
        #expect(scan(#"{ "payload" : { "s" : 3 , "t" : 12 }, "type" : "signal", "to":"a" }"#) == .signal(sentAt: 12, sender: 3))
    }

    @Test func classifiesTheOtherMessages() {
        #expect(scan(#"{"type":"signal","from":"a","to":"b","data":{}}"#) == .foreignSignal)
        #expect(scan(#"{"type":"participants","participants":[]}"#) == .participants)
        #expect(scan(#"{"type":"error","message":"peer not found"}"#) == .error)
        #expect(scan(#"{"type":"presence","action":"join","nodeId":"b"}"#) == .other)
        #expect(scan(#"{"type":"heartbeat"}"#) == .other)
        // A value that looks like the key is not the key.
        #expect(scan(#"{"note":"type","type":"error"}"#) == .error)
    }

    @Test func malformedInputIsOtherAndNeverTraps() {
        for text in ["", "{", #"{"type""#, #"{"type":"#, #"{"type":"sig"#, #"{"type":"signal","payload":{"t":"#, "\u{0}\u{ff}", #"""type"""#] {
            _ = scan(text)
        }
        #expect(scan("") == .other)
        #expect(scan(#"{"type":"signal","payload":{"t":-"#) == .foreignSignal)
    }

    @Test func countsParticipantEntries() {
        let entries = (0..<5).map { #"{"nodeId":"n\#($0)","username":"load-\#($0)"}"# }
        let list = #"{"type":"participants","participants":[\#(entries.joined(separator: ","))]}"#
        #expect(MessageScanner.nodeIdCount(in: ByteBuffer(string: list)) == 5)
        #expect(MessageScanner.nodeIdCount(in: list) == 5)
        #expect(MessageScanner.nodeIdCount(in: ByteBuffer(string: "I")) == 0)
    }
}
