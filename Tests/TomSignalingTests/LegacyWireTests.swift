import NIOCore
import Testing
@testable import TomSignaling

@Suite struct LegacyWireTests {
    func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    @Test func participantsListOmitsPublicKeyAndAbsentEncryptionKey() {
        let list = [
            Participant(nodeId: "a", username: "A", publicKey: "pk", encryptionKey: "ek"),
            Participant(nodeId: "b", username: "B", publicKey: "pk"),
        ]
        #expect(text(LegacyWire.participants(list))
            == #"{"type":"participants","participants":[{"nodeId":"a","username":"A","encryptionKey":"ek"},{"nodeId":"b","username":"B"}]}"#)
        #expect(text(LegacyWire.participants([Participant]())) == #"{"type":"participants","participants":[]}"#)
    }

    @Test func presenceAlwaysCarriesPublicKey() {
        #expect(text(LegacyWire.presence(.join, Participant(nodeId: "a", username: "A")))
            == #"{"type":"presence","action":"join","nodeId":"a","username":"A","publicKey":""}"#)
        #expect(text(LegacyWire.presence(.leave, Participant(nodeId: "a", username: "A", publicKey: "p", encryptionKey: "e")))
            == #"{"type":"presence","action":"leave","nodeId":"a","username":"A","publicKey":"p","encryptionKey":"e"}"#)
    }

    @Test func otherMessages() {
        #expect(text(LegacyWire.heartbeat(from: "a")) == #"{"type":"heartbeat","from":"a"}"#)
        #expect(text(LegacyWire.error(.peerNotFound)) == #"{"type":"error","error":"peer not found"}"#)
        #expect(text(LegacyWire.roleAssign(nodeIdJSON: ByteBuffer(string: #""n""#), rolesJSON: ByteBuffer(string: "[]"), from: nil))
            == #"{"type":"role-assign","nodeId":"n","roles":[]}"#)
        #expect(text(LegacyWire.roleAssign(nodeIdJSON: ByteBuffer(string: #""n""#), rolesJSON: ByteBuffer(string: "[1]"), from: "s"))
            == #"{"type":"role-assign","nodeId":"n","roles":[1],"from":"s"}"#)
    }

    @Test func stringsAreEscapedLikeJSONStringify() {
        let name = "q\"b\\s\n\t\u{1}é😀"
        #expect(text(LegacyWire.heartbeat(from: name)) == #"{"type":"heartbeat","from":"q\"b\\s\n\t\u0001é😀"}"#)
    }
}
