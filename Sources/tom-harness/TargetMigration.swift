/// `tom-harness migrate --targets`: the cross-node checks against nodes someone else runs.
/// Nothing is started or killed, and other clients may be on the nodes: only this run's
/// nodeIds are compared.
struct TargetMigration {
    let targets: [ServerAddress]
    let session: MeshSession
    let clientCount: Int

    func run(_ runner: StepRunner) async -> SignalLedger.Tally? {
        let servers = targets.enumerated().map { (name: "t\($0.offset + 1)", address: $0.element) }
        var tally: SignalLedger.Tally?
        await runner.step("c. \(clientCount) clients register at \(targets.count) nodes (round robin)") {
            let joined = try await session.join(count: clientCount, at: servers)
            return joined.map { session.clients[$0].located }.joined(separator: ", ")
        }
        await runner.step("d. every client lists every other (presence across nodes)") {
            try await session.awaitEveryoneSeesEveryone()
            return "\(clientCount) clients on \(targets.count) nodes"
        }
        await runner.step("d. signal matrix (every client to every other)") {
            "\(try await session.signalMatrix(session.allPairs, kind: "matrix")) signals delivered"
        }
        await runner.step("f. identical participant lists everywhere (this run's clients), nothing lost") {
            let listed = try await session.awaitIdenticalLists(onlyOurs: true)
            let result = await session.awaitNothingLost()
            tally = result
            guard result.lost == 0 else {
                throw StepFailure("\(result); e.g. \(result.lostExamples.joined(separator: ", "))")
            }
            return "\(listed.count) clients listed alike in the same order; \(result)"
        }
        return tally
    }
}
