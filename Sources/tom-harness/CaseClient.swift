/// A client inside one conformance case: its registration details and the ways a case waits
/// for what the server must send it.
final class CaseClient {
    unowned let context: CaseContext
    let label: String
    let link: ClientLink
    private(set) var nodeId: String?
    private(set) var username: String?
    private(set) var publicKey: String?
    private(set) var encryptionKey: String?

    /// Which of the run's servers it is connected to.
    let serverIndex: Int

    init(context: CaseContext, label: String, link: ClientLink, serverIndex: Int) {
        self.context = context
        self.label = label
        self.link = link
        self.serverIndex = serverIndex
    }

    /// Set once this client closed, or saw its connection end: its socket may still look
    /// active for a moment after the server's close frame.
    private var ended = false

    var isOpen: Bool { link.isOpen && !ended }

    func send(_ message: JSONValue) async throws {
        do {
            try await link.send(message)
        } catch {
            throw CaseFailure("\(label): sending failed (\(error))")
        }
    }

    func send(text: String) async throws {
        do {
            try await link.send(text: text)
        } catch {
            throw CaseFailure("\(label): sending failed (\(error))")
        }
    }

    func send(binary text: String) async throws {
        do {
            try await link.send(binary: Array(text.utf8))
        } catch {
            throw CaseFailure("\(label): sending failed (\(error))")
        }
    }

    /// Registers (with a fresh nodeId unless one is given); by default waits for the
    /// participants list that must follow and that lists this client.
    func register(
        username: String? = nil, publicKey: Bool = true, encryptionKey: Bool = false, nodeId: String? = nil,
        wait: Bool = true, binary: Bool = false
    ) async throws {
        let id = nodeId ?? context.newId()
        self.nodeId = id
        self.username = username ?? "\(label)-\(id.prefix(6))"
        self.publicKey = publicKey ? id : nil
        self.encryptionKey = encryptionKey ? RandomHex.nodeId() : nil
        var message: JSONValue = ["type": "register", "nodeId": .string(id), "username": .string(self.username!)]
        if let key = self.publicKey { message = message.setting("publicKey", to: .string(key)) }
        if let key = self.encryptionKey { message = message.setting("encryptionKey", to: .string(key)) }
        if binary {
            try await send(binary: message.text)
        } else {
            try await send(message)
        }
        context.members.removeAll { $0 === self || $0.nodeId == id }
        context.members.append(self)
        if wait {
            _ = try await expect(participantsWith([id]), "participants list containing itself after register")
        }
    }

    /// The next JSON object of the server, failing on anything else.
    private func receive(until deadline: ContinuousClock.Instant, what: String) async throws -> JSONValue {
        guard let item = await link.inbox.next(until: deadline) else {
            throw CaseFailure("\(label): timed out after \(context.timeout) waiting for \(what)")
        }
        switch item {
        case .json(let message, let text):
            try check(message.isObject, "\(label): server sent JSON that is not an object: \(JSONValue.shorten(text))")
            return message
        case .notJSON(let text):
            throw CaseFailure("\(label): server sent non-JSON text: \(JSONValue.shorten(text))")
        case .binary:
            throw CaseFailure("\(label): server sent a binary frame (expected text)")
        case .closed, .failed:
            throw CaseFailure("\(label): connection ended (\(item.summary)) while waiting for \(what)")
        }
    }

    /// The first message matching `predicate`. Noise about strangers (and messages matching
    /// `allow`) is skipped; any other message of this case, or one matching `forbid`, arriving
    /// first fails the case.
    @discardableResult
    func expect(
        _ predicate: MessagePredicate, _ what: String, forbid: MessagePredicate? = nil, allow: MessagePredicate? = nil,
        timeout: Duration? = nil
    ) async throws -> JSONValue {
        let deadline = ContinuousClock.now + (timeout ?? context.timeout)
        while true {
            let message = try await receive(until: deadline, what: what)
            if predicate(message) { return message }
            if let forbid, forbid(message) {
                throw CaseFailure("\(label): got \(message.short()) before \(what)")
            }
            if context.isMine(message), !(allow?(message) ?? false) {
                throw CaseFailure("\(label): unexpected \(message.short()) while waiting for \(what)")
            }
        }
    }

    func expectError(_ error: String, _ detail: String = "") async throws {
        let want: JSONValue = ["type": "error", "error": .string(error)]
        let got = try await expect({ $0.messageType == "error" }, "error '\(error)'\(detail)")
        try check(got == want, "\(label): expected \(want.text)\(detail), got \(got.short())")
    }

    /// Proves nothing of this case reached us: a signal to a nodeId nobody registered must
    /// be answered `peer not found`, and that answer must be the first message of this case.
    func sentinel(after: String) async throws {
        let ghost = context.newId()
        try await send(["type": "signal", "from": .string(ghost), "to": .string(ghost), "payload": "sentinel"])
        _ = try await expect(
            { $0 == ["type": "error", "error": "peer not found"] }, "sentinel reply 'peer not found' (after \(after))")
    }

    /// Sends a marked signal to `target` and checks it is the first thing of this case that
    /// `target` gets (so whatever should not have reached it did not).
    @discardableResult
    func signal(to target: CaseClient, after: String) async throws -> JSONValue {
        let message: JSONValue = [
            "type": "signal", "from": .string(nodeId ?? context.newId()), "to": .string(target.nodeId ?? ""),
            "payload": ["marker": .string(RandomHex.make(bytes: 8))],
        ]
        try await send(message)
        _ = try await target.expect({ $0 == message }, "marker signal (after \(after))")
        return message
    }

    /// Waits for the end of the connection and checks its close code.
    func expectClosed(_ codes: Set<UInt16>, after what: String) async throws {
        let deadline = ContinuousClock.now + context.timeout
        while true {
            guard let item = await link.inbox.next(until: deadline) else {
                throw CaseFailure("\(label): connection not closed within \(context.timeout) after \(what)")
            }
            switch item {
            case .closed(let code):
                ended = true
                try check(
                    code.map(codes.contains) ?? false,
                    "\(label): closed with \(code.map(String.init) ?? "no close frame") after \(what), expected \(codes.sorted())")
                return
            case .failed(let reason):
                throw CaseFailure("\(label): connection failed after \(what) (\(reason)), expected close \(codes.sorted())")
            default:
                continue
            }
        }
    }

    /// Closes this client's socket (close handshake).
    func close() async {
        ended = true
        await link.close()
    }

    /// The exact presence message the server must send about this client.
    func presenceMessage(_ action: PresenceAction) -> JSONValue {
        var message: JSONValue = [
            "type": "presence", "action": .string(action.rawValue), "nodeId": .string(nodeId ?? ""),
            "username": .string(username ?? ""), "publicKey": .string(publicKey ?? ""),
        ]
        if let encryptionKey { message = message.setting("encryptionKey", to: .string(encryptionKey)) }
        return message
    }

    /// Waits for the exact presence about `subject`; with `ordered`, a participants list that
    /// already reflects the change must not come first.
    func expectPresence(_ action: PresenceAction, of subject: CaseClient, ordered: Bool = true) async throws {
        let want = subject.presenceMessage(action)
        let subjectId = subject.nodeId ?? ""
        var early: MessagePredicate?
        if ordered {
            let listed = participantsWith([subjectId])
            early = action == .join ? listed : { $0.messageType == "participants" && !listed($0) }
        }
        let got = try await expect(
            presence(action, subjectId), "presence \(action.rawValue) of \(subject.label)", forbid: early)
        try check(
            got == want,
            "\(label): presence \(action.rawValue) of \(subject.label): expected \(want.text), got \(got.text)")
    }
}
