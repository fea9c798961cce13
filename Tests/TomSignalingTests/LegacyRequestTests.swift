import NIOCore
import Testing
@testable import TomSignaling

@Suite struct LegacyRequestTests {
    func decode(_ text: String) -> LegacyRequest {
        LegacyRequest.decode(ByteBuffer(string: text))
    }

    @Test func register() {
        #expect(decode(#"{"type":"register","nodeId":"n1","username":"u","publicKey":"p","encryptionKey":"e"}"#)
            == .register(Participant(nodeId: "n1", username: "u", publicKey: "p", encryptionKey: "e")))
        #expect(decode(#"{"type":"register","nodeId":"n1","username":"u","publicKey":7}"#)
            == .register(Participant(nodeId: "n1", username: "u")))
    }

    @Test(arguments: [
        #"{"type":"register","username":"u"}"#,
        #"{"type":"register","nodeId":"n"}"#,
        #"{"type":"register","nodeId":"","username":"u"}"#,
        #"{"type":"register","nodeId":"n","username":""}"#,
        #"{"type":"register","nodeId":null,"username":"u"}"#,
        #"{"type":"register","nodeId":5,"username":"u"}"#,
    ])
    func registerWithoutUsableIdOrName(text: String) {
        #expect(decode(text) == .rejected(.missingNodeIdOrUsername))
    }

    @Test func signalIsForwardedAsSentOrCompacted() {
        let compact = #"{"type":"signal","from":"a","to":"b","payload":{"x":"a b"}}"#
        #expect(decode(compact) == .signal(to: "b", message: ByteBuffer(string: compact)))
        let spaced = #" { "type" : "signal", "from":"a", "to":"b", "payload": { "x" : "a b" } } "#
        #expect(decode(spaced) == .signal(to: "b", message: ByteBuffer(string: compact)))
    }

    @Test(arguments: [
        #"{"type":"signal","from":"a"}"#, #"{"type":"signal","to":"b"}"#,
        #"{"type":"signal","from":"","to":"b"}"#, #"{"type":"signal","from":"a","to":0}"#,
    ])
    func signalWithoutToOrFrom(text: String) {
        #expect(decode(text) == .rejected(.missingToOrFrom))
    }

    @Test func signalToANonStringCanReachNobody() {
        #expect(decode(#"{"type":"signal","from":"a","to":12}"#) == .rejected(.peerNotFound))
    }

    @Test func roleAssignEchoesItsValuesExactly() {
        let request = decode(#"{"type":"role-assign","nodeId":"n","roles":["relay", "seed"]}"#)
        #expect(request == .roleAssign(nodeIdJSON: ByteBuffer(string: #""n""#), rolesJSON: ByteBuffer(string: #"["relay", "seed"]"#)))
        #expect(decode(#"{"type":"role-assign","nodeId":"n"}"#) == .ignored)
        #expect(decode(#"{"type":"role-assign","roles":[]}"#) == .ignored)
        #expect(decode(#"{"type":"role-assign","nodeId":"","roles":[]}"#) == .ignored)
    }

    @Test(arguments: ["42", #""s""#, "true", "[1,2]", "null", #"{"type":"nope"}"#, #"{"type":7}"#, "{}"])
    func ignoredInputs(text: String) {
        #expect(decode(text) == .ignored)
    }

    @Test(arguments: ["", "nope", "{", #"{"type":"register""#, "\u{1}"])
    func invalidJSON(text: String) {
        #expect(decode(text) == .rejected(.invalidJSON))
    }

    @Test func heartbeat() {
        #expect(decode(#"{"type":"heartbeat","from":"spoofed"}"#) == .heartbeat)
    }
}
