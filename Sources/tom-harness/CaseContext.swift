/// Per-case state: the nodeIds the case made and every client it opened. Messages about
/// nodeIds a case did not make come from other clients of the server and are skipped, so the
/// suite can run against a server that is in use.
final class CaseContext {
    let settings: ConformanceSettings
    let number: Int
    private(set) var ids: Set<String> = []
    private(set) var clients: [CaseClient] = []
    /// Registered clients, the last owner of each nodeId, in registration order.
    var members: [CaseClient] = []

    init(settings: ConformanceSettings, number: Int) {
        self.settings = settings
        self.number = number
    }

    var timeout: Duration { settings.timeout }

    /// Counts a nodeId made elsewhere (a key's hex) as this case's.
    func adopt(_ id: String) {
        ids.insert(id)
    }

    func newId() -> String {
        let id = RandomHex.nodeId()
        ids.insert(id)
        return id
    }

    /// Does a message concern this case rather than some stranger's client? Participants
    /// lists go out on every change anywhere, so they never count: cases that care about
    /// them wait for them explicitly (or forbid them).
    func isMine(_ message: JSONValue) -> Bool {
        Self.noiseFilter(ids: ids)(message)
    }

    /// A message of `type` that concerns this case.
    func mine(_ type: String) -> MessagePredicate {
        let probe = Self.noiseFilter(ids: ids)
        return { $0.messageType == type && probe($0) }
    }

    /// `isMine` over a fixed set of ids, for predicates that outlive later `newId()` calls.
    static func noiseFilter(ids: Set<String>) -> MessagePredicate {
        { message in
            guard message.isObject else { return true }
            switch message.messageType {
            case "participants": return false
            case "presence": return message["nodeId"]?.stringValue.map(ids.contains) ?? true
            case "heartbeat": return message["from"]?.stringValue.map(ids.contains) ?? true
            case "role-assign": return ["nodeId", "from"].contains { message[$0]?.stringValue.map(ids.contains) ?? false }
            default: return true
            }
        }
    }

    /// Opens a client at the next server in turn, or at the server of `near`: an unregistered
    /// client learns of no one, so with several gateways it could signal a client whose
    /// registration has not reached its gateway yet (a few milliseconds) and rightly get
    /// `peer not found`; such senders sit at their target's gateway.
    func client(_ label: String, path: String = "/", subprotocols: [String] = [], near: CaseClient? = nil) async throws -> CaseClient {
        let serverIndex = near?.serverIndex ?? clients.count % settings.servers.count
        let server = settings.servers[serverIndex]
        let link: ClientLink
        do {
            link = try await ClientLink.connect(
                server, path: path, label: "case\(number)/\(label)", subprotocols: subprotocols,
                transcript: settings.transcript, timeout: timeout)
        } catch {
            throw CaseFailure("\(label): WebSocket connect to \(path) failed: \(error)")
        }
        let client = CaseClient(context: self, label: label, link: link, serverIndex: serverIndex)
        clients.append(client)
        return client
    }

    /// Connects and registers a client; every open member registered before it must then get
    /// its presence join (checked exactly, before any list naming it) and a participants list.
    func registered(_ label: String, publicKey: Bool = true, encryptionKey: Bool = false) async throws -> CaseClient {
        let earlier = members.filter(\.isOpen)
        let client = try await client(label)
        try await client.register(publicKey: publicKey, encryptionKey: encryptionKey)
        for peer in earlier {
            try await peer.expectPresence(.join, of: client)
            _ = try await peer.expect(participantsWith([peer.nodeId ?? "", client.nodeId ?? ""]), "participants after \(label) joined")
        }
        return client
    }

    func closeAll() async {
        await withTaskGroup(of: Void.self) { group in
            for link in clients.map(\.link) {
                group.addTask { await link.close() }
            }
        }
        for client in clients { await client.link.stop() }
    }
}
