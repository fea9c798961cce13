/// The clients of one migration run and the checks both `migrate` modes make with them.
final class MeshSession {
    let transcript: Transcript
    /// How long one step may take to converge.
    let timeout: Duration
    private(set) var clients: [MeshClient] = []
    private(set) var ledger = SignalLedger()

    init(transcript: Transcript, timeout: Duration) {
        self.transcript = transcript
        self.timeout = timeout
    }

    var nodeIds: [String] { clients.map(\.nodeId) }
    var deadline: ContinuousClock.Instant { .now + timeout }

    /// Connects `count` new clients to `servers` round robin and registers them; returns their indices.
    func join(count: Int, at servers: [(name: String, address: ServerAddress)]) async throws -> Range<Int> {
        let first = clients.count
        let transcript = transcript
        let timeout = timeout
        let joined = try await withThrowingTaskGroup(of: (Int, MeshClient).self) { group in
            for offset in 0..<count {
                let server = servers[offset % servers.count]
                group.addTask {
                    let client = try await MeshClient.connect(
                        label: "c\(first + offset + 1)", at: server.address, home: server.name, transcript: transcript,
                        timeout: timeout)
                    return (offset, client)
                }
            }
            var made: [(Int, MeshClient)] = []
            for try await item in group { made.append(item) }
            return made.sorted { $0.0 < $1.0 }.map(\.1)
        }
        // Registered one after another, so the registration order (and the lists) is reproducible.
        for client in joined {
            clients.append(client)
            try await client.register()
        }
        let deadline = self.deadline
        try await forEach(Array(joined)) { try await $0.awaitRegistered(until: deadline) }
        return first..<clients.count
    }

    /// Moves client `index` to `server` with the same nodeId, and registers it there.
    func move(_ index: Int, to server: (name: String, address: ServerAddress)) async throws {
        clients[index] = try await clients[index].reconnected(
            to: server.address, home: server.name, transcript: transcript, timeout: timeout)
        try await clients[index].register()
    }

    /// Every client's latest list names every client of the run.
    func awaitEveryoneSeesEveryone() async throws {
        let ids = nodeIds
        let deadline = self.deadline
        try await forEach(clients) { client in
            let seen = await client.link.inbox.wait(until: deadline) { Set(ids).isSubset(of: $0.participants ?? []) }
            guard seen == nil else { return }
            let listed = Set(await client.latestParticipants() ?? [])
            let missing = ids.filter { !listed.contains($0) }
            throw StepFailure("\(client.located) does not list \(missing.count) of \(ids.count) clients (e.g. \(missing.first?.prefix(12) ?? "")...)")
        }
    }

    /// Sends one marked signal from `from` to `to`.
    @discardableResult
    func sendSignal(from: Int, to: Int, kind: String) async throws -> String {
        let marker = RandomHex.make(bytes: 8)
        let sender = clients[from]
        ledger.record(marker: marker, from: from, to: to, kind: kind)
        do {
            try await sender.link.send([
                "type": "signal", "from": .string(sender.nodeId), "to": .string(clients[to].nodeId),
                "payload": ["marker": .string(marker), "kind": .string(kind)],
            ])
        } catch {
            throw StepFailure("\(sender.located): sending a signal failed (\(error))")
        }
        return marker
    }

    /// Waits until client `to` got every marker in `markers`.
    func awaitDelivery(of markers: Set<String>, to index: Int, until deadline: ContinuousClock.Instant) async -> Bool {
        let client = clients[index]
        if markers.isSubset(of: await client.receivedMarkers()) { return true }
        let past = await client.receivedMarkers()
        return await client.link.inbox.wait(until: deadline) { markers.isSubset(of: past.union($0.signalMarkers)) } != nil
    }

    /// Every listed pair signals; all must arrive. Returns the number sent.
    func signalMatrix(_ pairs: [(Int, Int)], kind: String) async throws -> Int {
        var expected: [Int: Set<String>] = [:]
        for (from, to) in pairs {
            expected[to, default: []].insert(try await sendSignal(from: from, to: to, kind: kind))
        }
        let deadline = self.deadline
        for (to, markers) in expected.sorted(by: { $0.key < $1.key }) {
            guard await awaitDelivery(of: markers, to: to, until: deadline) else {
                let got = await clients[to].receivedMarkers()
                throw StepFailure("\(clients[to].located) got \(markers.intersection(got).count) of the \(markers.count) \(kind) signals sent to it")
            }
        }
        return pairs.count
    }

    /// All ordered pairs of distinct clients.
    var allPairs: [(Int, Int)] {
        clients.indices.flatMap { from in clients.indices.filter { $0 != from }.map { (from, $0) } }
    }

    /// A signal from `a` reaches `b`, and b's answer reaches `a`.
    func roundTrip(_ a: Int, _ b: Int) async throws {
        let deadline = self.deadline
        let ping = try await sendSignal(from: a, to: b, kind: "ping")
        guard await awaitDelivery(of: [ping], to: b, until: deadline) else {
            throw StepFailure("ping from \(clients[a].located) did not reach \(clients[b].located)")
        }
        let pong = try await sendSignal(from: b, to: a, kind: "pong")
        guard await awaitDelivery(of: [pong], to: a, until: deadline) else {
            throw StepFailure("the answer of \(clients[b].located) did not reach \(clients[a].located)")
        }
    }

    /// Waits (not before `notBefore`) until every client's latest list is the same and names
    /// every client. With `onlyOurs`, other nodeIds are left out first (a server in use);
    /// without it the lists must hold exactly this run's clients. Returns the common list.
    func awaitIdenticalLists(onlyOurs: Bool, notBefore: ContinuousClock.Instant = .now) async throws -> [String] {
        let ids = Set(nodeIds)
        let deadline = max(self.deadline, notBefore + timeout)
        var lists: [[String]?] = []
        while true {
            lists = []
            for client in clients {
                let list = await client.latestParticipants()
                lists.append(onlyOurs ? list?.filter(ids.contains) : list)
            }
            if ContinuousClock.now >= notBefore, let first = lists.first ?? nil,
                lists.allSatisfy({ $0 == first }), Set(first) == ids, first.count == ids.count
            {
                return first
            }
            if ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let shapes = zip(clients, lists).map { client, list in
            "\(client.located): \(list.map { "\($0.count) listed, \(Set($0).intersection(ids).count) of ours" } ?? "no list")"
        }
        let distinct = Set(lists.map { $0 ?? [] }).count
        throw StepFailure("lists did not converge (\(distinct) different lists): " + shapes.joined(separator: "; "))
    }

    /// Waits until every signal sent is delivered or answered with an error.
    func awaitNothingLost() async -> SignalLedger.Tally {
        let deadline = self.deadline
        while true {
            let tally = await SignalLedger.tally(ledger.entries, clients: clients)
            if tally.lost == 0 || ContinuousClock.now >= deadline { return tally }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    func stopAll() async {
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.stop() } }
        }
    }

    /// Runs `body` for each client concurrently; the first failure wins.
    private func forEach(_ items: [MeshClient], _ body: @escaping @Sendable (MeshClient) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for item in items { group.addTask { try await body(item) } }
            try await group.waitForAll()
        }
    }
}
