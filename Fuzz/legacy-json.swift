import NIOCore
import TomSignaling

// One WebSocket text message of the legacy protocol. The decoder must agree with the JSON
// scanner on validity, and what it extracts must survive the server's own writers: a
// registrant's fields through a `presence`, a signal's forwarded text through a second
// decode, and a role-assign's raw values through the `role-assign` the server sends on.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let buffer = ByteBuffer(bytes: input)
    let request = LegacyRequest.decode(buffer)
    let document = try? JSONScanner.scan(input)
    invariant((request == .rejected(.invalidJSON)) == (document == nil), "the decoder and the scanner disagree on validity")

    // A shallower nesting limit may only turn a request into invalid JSON.
    let shallow = LegacyRequest.decode(buffer, maxDepth: 3)
    invariant(shallow == request || shallow == .rejected(.invalidJSON), "a nesting limit changed the meaning")

    switch request {
    case .register(let participant):
        invariant(!participant.nodeId.isEmpty && !participant.username.isEmpty, "an empty nodeId or username registered")
        let presence = scanMembers(LegacyWire.presence(.join, participant))
        invariant(presence?["nodeId"]?.stringValue == participant.nodeId, "nodeId changed through presence")
        invariant(presence?["username"]?.stringValue == participant.username, "username changed through presence")
        invariant(presence?["publicKey"]?.stringValue == (participant.publicKey ?? ""), "publicKey changed through presence")
        invariant(presence?["encryptionKey"]?.stringValue == participant.encryptionKey, "encryptionKey changed through presence")
        invariant(scanMembers(LegacyWire.participants([participant, participant])) != nil, "a participants list is not JSON")
        invariant(scanMembers(LegacyWire.heartbeat(from: participant.nodeId))?["from"]?.stringValue == participant.nodeId,
                  "nodeId changed through heartbeat")
    case .signal(let target, let message):
        let forwarded = Array(message.readableBytesView)
        let scanned = try? JSONScanner.scan(forwarded)
        invariant(scanned != nil, "a forwarded signal is not JSON")
        invariant(scanned?.hasWhitespace == false, "a forwarded signal still has whitespace")
        if document?.hasWhitespace == false { invariant(forwarded == input, "a compact signal was changed") }
        invariant(forwarded.count <= input.count, "compaction made a signal longer")
        invariant(LegacyRequest.decode(message) == .signal(to: target, message: message), "a forwarded signal decodes differently")
    case .roleAssign(let nodeIdJSON, let rolesJSON):
        for part in [nodeIdJSON, rolesJSON] {
            invariant((try? JSONScanner.scan(Array(part.readableBytesView))) != nil, "a role-assign value is not JSON on its own")
        }
        let sent = LegacyWire.roleAssign(nodeIdJSON: nodeIdJSON, rolesJSON: rolesJSON, from: "fuzz")
        let echoed = LegacyRequest.decode(sent)
        invariant(echoed == .roleAssign(nodeIdJSON: nodeIdJSON, rolesJSON: rolesJSON), "a role-assign does not survive being sent on")
    case .heartbeat, .ignored, .rejected:
        break
    }
    return 0
}

private func scanMembers(_ buffer: ByteBuffer) -> JSONMembers? {
    (try? JSONScanner.scan(Array(buffer.readableBytesView)))?.members
}
