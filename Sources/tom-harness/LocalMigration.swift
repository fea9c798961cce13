import Glibc

/// `tom-harness migrate` on processes it starts: clients on a seed, the seed degrades, more
/// clients join at peers, the seed is killed and its clients move to the peers.
struct LocalMigration {
    let network: LocalNetwork
    let session: MeshSession
    let clientCount: Int
    let linkGrace: Duration

    func run(_ runner: StepRunner) async -> SignalLedger.Tally? {
        let seed = (name: network.seed.name, address: network.seed.address)
        let peers = network.peers.map { (name: $0.name, address: $0.address) }
        let onSeed = max(1, (clientCount + 1) / 2)
        var seedClients: Range<Int> = 0..<0
        var peerClients: Range<Int> = 0..<0
        var killedAt = ContinuousClock.now
        var tally: SignalLedger.Tally?

        await runner.step("a. \(onSeed) clients register at the seed and exchange signals") {
            seedClients = try await session.join(count: onSeed, at: [seed])
            try await session.awaitEveryoneSeesEveryone()
            let ring = seedClients.map { ($0, seedClients.lowerBound + ($0 - seedClients.lowerBound + 1) % onSeed) }
            let sent = try await session.signalMatrix(ring.filter { $0.0 != $0.1 }, kind: "seed")
            return "\(sent) signals delivered"
        }
        await runner.step("b. the seed degrades (POST /admin/degrade) and links to the peers") {
            let response = try await NodeHTTP.degrade(seed.address)
            let body = JSONValue.parse(response.bodyText)
            guard response.status == 200, body?["ok"] == .bool(true) else {
                throw StepFailure("POST /admin/degrade answered \(response.status) \(response.bodyText)")
            }
            let (status, held) = await NodeHTTP.waitStatus(seed.address, until: session.deadline) {
                $0["mode"]?.stringValue == "peer" && ($0["gatewayLinks"]?.numberValue ?? 0) >= Double(peers.count)
            }
            guard held else { throw StepFailure("seed /status did not show mode peer with \(peers.count) links: \(status?.text ?? "no answer")") }
            for index in seedClients {
                if await session.clients[index].link.inbox.observations.isClosed {
                    throw StepFailure("\(session.clients[index].located) was disconnected by the degrade")
                }
            }
            let ring = seedClients.map { ($0, seedClients.lowerBound + ($0 - seedClients.lowerBound + 1) % onSeed) }
            _ = try await session.signalMatrix(ring.filter { $0.0 != $0.1 }, kind: "degraded")
            return body?["result"]?.stringValue ?? ""
        }
        await runner.step("c. \(clientCount - onSeed) clients register at the peers") {
            peerClients = try await session.join(count: clientCount - onSeed, at: peers)
            return peerClients.map { session.clients[$0].located }.joined(separator: ", ")
        }
        await runner.step("d. every client lists every other (presence across nodes)") {
            try await session.awaitEveryoneSeesEveryone()
            return "\(clientCount) clients on \(1 + peers.count) nodes"
        }
        await runner.step("d. a signal from a seed client reaches a peer client and back") {
            for (a, b) in zip(seedClients, peerClients) { try await session.roundTrip(a, b) }
            return "\(min(seedClients.count, peerClients.count)) round trips"
        }
        await runner.step("d. signal matrix (every client to every other)") {
            "\(try await session.signalMatrix(session.allPairs, kind: "matrix")) signals delivered"
        }
        await runner.step("e. the seed is killed (SIGKILL); its clients reconnect to peers with the same nodeIds") {
            network.seed.signal(SIGKILL)
            killedAt = .now
            let deadline = session.deadline
            for index in seedClients {
                let client = session.clients[index]
                guard await client.link.inbox.wait(until: deadline, for: \.isClosed) != nil else {
                    throw StepFailure("\(client.located) still connected after the seed was killed")
                }
            }
            // Once the peers have dropped their link to the dead seed, signals to its clients must be refused.
            for peer in peers {
                let (status, held) = await NodeHTTP.waitStatus(peer.address, until: deadline) {
                    ($0["gatewayLinks"]?.numberValue ?? -1) <= Double(peers.count - 1)
                }
                guard held else { throw StepFailure("\(peer.name) still shows a link to the dead seed: \(status?.text ?? "no answer")") }
            }
            var gap = 0
            for from in peerClients {
                for to in seedClients {
                    try await session.sendSignal(from: from, to: to, kind: "gap")
                    gap += 1
                }
            }
            for (offset, index) in seedClients.enumerated() {
                try await session.move(index, to: peers[offset % peers.count])
            }
            for index in seedClients { try await session.clients[index].awaitRegistered(until: deadline) }
            return "\(seedClients.count) clients moved; \(gap) signals sent to them while they were away"
        }
        await runner.step("f. identical participant lists everywhere (after the link grace), nothing lost") {
            // Wait out the dead seed's grace period, so these are the lists that last.
            let listed = try await session.awaitIdenticalLists(onlyOurs: false, notBefore: killedAt + linkGrace + .milliseconds(500))
            let sent = try await session.signalMatrix(session.allPairs, kind: "final")
            let again = try await session.awaitIdenticalLists(onlyOurs: false)
            guard again == listed else { throw StepFailure("the lists changed during the final signal matrix") }
            let result = await session.awaitNothingLost()
            tally = result
            guard result.lost == 0 else {
                throw StepFailure("\(result); e.g. \(result.lostExamples.joined(separator: ", "))")
            }
            return "\(listed.count) clients listed alike; \(sent) final signals delivered; \(result)"
        }
        return tally
    }
}
