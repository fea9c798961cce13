/// Predicates and checks on legacy server messages, shared by the conformance cases.
enum PresenceAction: String, Sendable {
    case join
    case leave
}

/// The nodeIds of a participants message, in order (nil if it is not one).
func participantIds(_ message: JSONValue) -> [String]? {
    guard message.messageType == "participants", let entries = message["participants"]?.arrayValue else { return nil }
    return entries.compactMap { $0["nodeId"]?.stringValue }
}

/// A participants list naming every one of `nodeIds`.
func participantsWith(_ nodeIds: [String]) -> MessagePredicate {
    { message in
        guard let listed = participantIds(message) else { return false }
        return Set(nodeIds).isSubset(of: listed)
    }
}

/// A participants list naming all of `present` and none of `absent`.
func participantsWithout(_ present: [String], _ absent: [String]) -> MessagePredicate {
    { message in
        guard let listed = participantIds(message) else { return false }
        return Set(present).isSubset(of: listed) && Set(absent).isDisjoint(with: listed)
    }
}

/// A participants list whose entry for `nodeId` already carries `username`.
func participantsRenamed(_ nodeId: String, _ username: String) -> MessagePredicate {
    { message in
        guard message.messageType == "participants", let entries = message["participants"]?.arrayValue else { return false }
        return entries.contains { $0["nodeId"]?.stringValue == nodeId && $0["username"]?.stringValue == username }
    }
}

func presence(_ action: PresenceAction, _ nodeId: String) -> MessagePredicate {
    { $0.messageType == "presence" && $0["action"]?.stringValue == action.rawValue && $0["nodeId"]?.stringValue == nodeId }
}

/// Is `message` exactly `{"type":"participants","participants":[...]}`, and is the entry of
/// `client` exactly nodeId, username and (only when given) encryptionKey, with no publicKey?
func checkEntry(_ message: JSONValue, _ client: CaseClient) throws {
    try check(message.memberNames == ["type", "participants"], "participants message members \(message.memberNames.sorted())")
    let entries = (message["participants"]?.arrayValue ?? []).filter { $0["nodeId"]?.stringValue == client.nodeId }
    try check(entries.count == 1, "nodeId \(client.nodeId?.prefix(12) ?? "")... listed \(entries.count) times in participants")
    var want: JSONValue = ["nodeId": .string(client.nodeId ?? ""), "username": .string(client.username ?? "")]
    if let key = client.encryptionKey { want = want.setting("encryptionKey", to: .string(key)) }
    try check(entries[0] == want, "participants entry for \(client.label): expected \(want.text), got \(entries[0].text)")
}

/// The case's clients appear in `message` in exactly the order given.
func checkOrder(_ message: JSONValue, _ clients: [CaseClient]) throws {
    let wanted = clients.compactMap(\.nodeId)
    let mine = (participantIds(message) ?? []).filter(Set(wanted).contains)
    try check(
        mine == wanted,
        "participants order of \(clients.map(\.label)) wrong: got \(mine.map { $0.prefix(8) }), expected \(wanted.map { $0.prefix(8) })")
}
