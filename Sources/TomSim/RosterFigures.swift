import TomDHT

/// What the roster workload's DHT operations cost, for one purpose (publishing or pulling).
struct RosterCost {
    var operations = 0
    var messages = 0
    var bytes = 0

    mutating func add(_ cost: OperationCost) {
        operations += 1
        messages += cost.messages
        bytes += cost.bytes
    }
}

/// The roster workload's figures: convergence against the truth, exact final views, cost.
enum RosterFigures {
    static func make(
        gateways: [SimulatedGateway],
        registrations: [RosterRegistration],
        publish: RosterCost,
        pull: RosterCost,
        accepted: Int,
        refused: Int,
        superseded: Int,
        retried: Int,
        requeued: Int,
        cycleLengths: [DHTDuration],
        minutes: Double
    ) -> [Figure] {
        func seconds(_ durations: [DHTDuration]) -> [Double] {
            durations.map { Double($0.nanoseconds) / 1e9 }.sorted()
        }
        let registered = registrations.filter { $0.entry != nil }
        let left = registrations.filter { $0.leftAt != nil }
        let joins = seconds(registered.compactMap(\.converged))
        let leaves = seconds(left.compactMap(\.leaveConverged))
        let total = Double(max(registered.count, 1))
        var figures = [
            Figure("roster gateways", Double(gateways.count)),
            Figure("roster registrations", Double(registered.count)),
            Figure("roster leaves", Double(left.count)),
            Figure("registrations shown by every other gateway", Double(joins.count)),
            Figure("registrations converged, share", Double(joins.count) / total),
        ]
        if !joins.isEmpty {
            figures.append(Figure("registration converged after, p50", Percentiles.value(joins, 0.5), unit: "s"))
            figures.append(Figure("registration converged after, p99", Percentiles.value(joins, 0.99), unit: "s"))
            figures.append(Figure("registration converged after, max", joins.last ?? 0, unit: "s"))
        }
        // Where a registration's time goes: reaching the DHT, then the others' cycles.
        let stored = seconds(registered.compactMap { registration in registration.storedAt.map { $0.elapsed(since: registration.registerAt) } })
        if !stored.isEmpty {
            figures.append(Figure("registration stored in the DHT after, p50", Percentiles.value(stored, 0.5), unit: "s"))
            figures.append(Figure("registration stored in the DHT after, p99", Percentiles.value(stored, 0.99), unit: "s"))
        }
        let afterStored = seconds(registered.compactMap { registration in
            guard let storedAt = registration.storedAt, let converged = registration.converged else { return nil }
            return (registration.registerAt + converged).elapsed(since: storedAt)
        })
        if !afterStored.isEmpty {
            figures.append(Figure("registration converged after it was stored, p50", Percentiles.value(afterStored, 0.5), unit: "s"))
            figures.append(Figure("registration converged after it was stored, p99", Percentiles.value(afterStored, 0.99), unit: "s"))
            figures.append(Figure("registration converged after it was stored, max", afterStored.last ?? 0, unit: "s"))
        }
        let cycles = seconds(cycleLengths)
        if !cycles.isEmpty {
            figures.append(Figure("roster refresh cycle, p50", Percentiles.value(cycles, 0.5), unit: "s"))
            figures.append(Figure("roster refresh cycle, p99", Percentiles.value(cycles, 0.99), unit: "s"))
            figures.append(Figure("roster refresh cycle, max", cycles.last ?? 0, unit: "s"))
        }
        figures.append(Figure("leaves dropped by every other gateway", Double(leaves.count)))
        if !leaves.isEmpty {
            figures.append(Figure("leave converged after, p50", Percentiles.value(leaves, 0.5), unit: "s"))
            figures.append(Figure("leave converged after, p99", Percentiles.value(leaves, 0.99), unit: "s"))
            figures.append(Figure("leave converged after, max", leaves.last ?? 0, unit: "s"))
        }
        figures.append(Figure("gateways whose final view is exact", Double(exactViews(gateways: gateways, registrations: registrations))))
        figures += [
            Figure("roster DHT operations per registration", Double(publish.operations + pull.operations) / total),
            Figure("roster DHT messages per registration", Double(publish.messages + pull.messages) / total),
            Figure("roster KiB per registration", Double(publish.bytes + pull.bytes) / 1024 / total),
            Figure("roster puts per registration or leave", Double(publish.operations) / Double(max(registered.count + left.count, 1))),
            Figure("roster puts superseded by a newer version", Double(superseded)),
            Figure("roster page puts tried again in the same publication", Double(retried)),
            Figure("roster pages queued again after a refresh interval", Double(requeued)),
            Figure("roster pull KiB per gateway per minute", Double(pull.bytes) / 1024 / Double(max(gateways.count, 1)) / max(minutes, 1e-9)),
            Figure("roster items accepted from pulls", Double(accepted)),
            Figure("roster items refused", Double(refused)),
        ]
        return figures
    }

    /// Gateways whose view holds exactly the live registrations, each at its own gateway.
    static func exactViews(gateways: [SimulatedGateway], registrations: [RosterRegistration]) -> Int {
        let live = registrations.filter(\.isLive)
        return gateways.filter { gateway in
            gateway.view.byNodeId.count == live.count && live.allSatisfy { registration in
                guard let shown = gateway.view.byNodeId[registration.participant.nodeId] else { return false }
                return shown.host == gateways[registration.gateway].key && shown.entry == registration.entry
            }
        }.count
    }
}
