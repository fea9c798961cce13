/// A legacy client in the migration runs: a fixed nodeId that may move from one node to
/// another (reconnecting and registering again), keeping every connection it ever had so
/// what reached it anywhere still counts.
struct MeshClient: Sendable {
    let label: String
    let nodeId: String
    let username: String
    private(set) var home: String
    private(set) var link: ClientLink
    private(set) var pastLinks: [ClientLink] = []

    var allLinks: [ClientLink] { pastLinks + [link] }
    var located: String { "\(label)@\(home)" }

    static func connect(
        label: String, nodeId: String = RandomHex.nodeId(), at server: ServerAddress, home: String, transcript: Transcript,
        timeout: Duration
    ) async throws -> MeshClient {
        let link = try await Self.open(label: label, home: home, server: server, transcript: transcript, timeout: timeout)
        return MeshClient(label: label, nodeId: nodeId, username: "harness-\(label)", home: home, link: link)
    }

    private static func open(
        label: String, home: String, server: ServerAddress, transcript: Transcript, timeout: Duration
    ) async throws -> ClientLink {
        do {
            return try await ClientLink.connect(
                server, label: "\(label)@\(home)", transcript: transcript, keepsQueue: false, timeout: timeout)
        } catch {
            throw StepFailure("\(label): cannot connect to \(home) (\(server)): \(error)")
        }
    }

    private init(label: String, nodeId: String, username: String, home: String, link: ClientLink) {
        self.label = label
        self.nodeId = nodeId
        self.username = username
        self.home = home
        self.link = link
    }

    /// The same client on a new connection to `server` (not yet registered there).
    func reconnected(to server: ServerAddress, home: String, transcript: Transcript, timeout: Duration) async throws -> MeshClient {
        var moved = self
        moved.pastLinks.append(link)
        moved.link = try await Self.open(label: label, home: home, server: server, transcript: transcript, timeout: timeout)
        moved.home = home
        return moved
    }

    func register() async throws {
        do {
            try await link.send([
                "type": "register", "nodeId": .string(nodeId), "username": .string(username), "publicKey": .string(nodeId),
            ])
        } catch {
            throw StepFailure("\(located): register failed to send (\(error))")
        }
    }

    /// Waits until this client's current connection has a participants list naming itself.
    func awaitRegistered(until deadline: ContinuousClock.Instant) async throws {
        let id = nodeId
        guard await link.inbox.wait(until: deadline, for: { $0.participants?.contains(id) ?? false }) != nil else {
            throw StepFailure("\(located): no participants list naming itself after register")
        }
    }

    /// Markers of every signal received on any connection.
    func receivedMarkers() async -> Set<String> {
        var markers: Set<String> = []
        for link in allLinks { markers.formUnion(await link.inbox.observations.signalMarkers) }
        return markers
    }

    /// Errors received on any connection.
    func errorsReceived() async -> [String: Int] {
        var errors: [String: Int] = [:]
        for link in allLinks { errors.merge(await link.inbox.observations.errors, uniquingKeysWith: +) }
        return errors
    }

    func latestParticipants() async -> [String]? {
        await link.inbox.observations.participants
    }

    /// Closes the current connection cleanly (an operator's node sees an ordinary leave),
    /// then stops reading on every connection.
    func stop() async {
        if link.isOpen { await link.close() }
        for link in allLinks { await link.stop() }
    }
}

/// Why a migration step failed (printed after `FAIL step (ms):`).
struct StepFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
