import Foundation

extension SimulationReport {
    /// The readable summary tom-sim prints on stdout.
    public func summaryText() -> String {
        var lines: [String] = []
        let o = options
        var scenario = "\(o.nodes) nodes, seed \(o.seed), latency \(o.latencyMinMilliseconds)-\(o.latencyMaxMilliseconds) ms \(o.latencyDistribution.rawValue)"
        scenario += ", loss \(percent(o.loss)), churn \(percent(o.churnPerHour))/h, vanilla \(percent(o.vanillaShare))"
        if let partition = o.partition {
            scenario += ", partition \(percent(partition.share)) at +\(format(partition.startSeconds))s for \(format(partition.durationSeconds))s"
        }
        if let retries = o.lookupRetries { scenario += ", lookup retries \(retries)" }
        if let roster = o.roster {
            scenario += ", roster: \(roster.gateways) gateways, \(roster.registrations) registrations (\(percent(roster.leaveShare)) leave), refresh \(format(roster.refreshSeconds))s"
        }
        lines.append("tom-sim: \(scenario)")
        lines.append("phases (simulated s): " + phases.map { "\($0.name) \(format($0.startSeconds))-\(format($0.endSeconds))" }.joined(separator: ", "))
        let n = network
        lines.append("network: \(n.liveAtEnd) live at end (\(n.vanillaLiveAtEnd) vanilla), \(n.departures) left, \(n.joinsAfterStart) joined later; "
            + "\(n.datagramsSent) datagrams (\(n.datagramsLost) lost, \(n.datagramsPartitioned) partitioned, \(n.datagramsUndeliverable) to departed nodes), "
            + "\(n.bytesSent / 1024) KiB, \(format(n.datagramsPerNodePerMinute)) datagrams/node/min")
        lines.append("")
        lines.append(pad("operation", 17) + pad("ok", 15) + pad("rate", 9) + pad("hops p50/p99", 13)
            + pad("latency p50/p90/p99 ms", 24) + pad("msgs", 7) + "bytes")
        for op in operations {
            let rate = percent(op.successRate, places: 2)
            lines.append(pad(op.kind, 17)
                + pad("\(op.succeeded)/\(op.completed)" + (op.abandoned > 0 ? " (-\(op.abandoned))" : ""), 15)
                + pad(rate, 9)
                + pad("\(op.hopsMedian)/\(op.hopsP99)", 13)
                + pad("\(format(op.latencyMilliseconds.p50))/\(format(op.latencyMilliseconds.p90))/\(format(op.latencyMilliseconds.p99))", 24)
                + pad(format(op.messagesPerOperation.mean), 7)
                + format(op.bytesPerOperation.mean))
        }
        if let lookups = operations.first(where: { $0.kind == "find_node" }) {
            lines.append("find_node: \(percent(lookups.nearSuccessRate ?? 0, places: 2)) found at least k-1 of the true k closest; hops histogram \(lookups.hopsHistogram)")
        }
        if !workloadFigures.isEmpty {
            lines.append("")
            for figure in workloadFigures {
                lines.append("\(figure.name): \(format(figure.value))\(figure.unit.isEmpty ? "" : " " + figure.unit)")
            }
        }
        lines.append("")
        let s = storage
        lines.append("storage: items per ToM node mean \(format(s.itemsPerToMNode.mean)), p99 \(format(s.itemsPerToMNode.p99)), max \(format(s.itemsPerToMNode.max)); "
            + "peers per node mean \(format(s.peersPerNode.mean)), p99 \(format(s.peersPerNode.p99)), max \(format(s.peersPerNode.max))")
        let c = convergence
        var convergenceLine = "convergence: joins take p50 \(format(c.joinMilliseconds.p50)) ms, p99 \(format(c.joinMilliseconds.p99)) ms (\(c.joinRetries) retried); "
        if let healthy = c.routingHealthySeconds, let afterJoins = c.routingHealthyAfterJoinsSeconds {
            convergenceLine += "routing tables healthy at \(format(healthy)) s (\(format(afterJoins)) s after the last join)"
        } else {
            convergenceLine += "routing tables never reached 95% healthy"
        }
        lines.append(convergenceLine)
        if let during = c.lookupSuccessDuringPartition {
            lines.append("partition: lookup success \(percent(during, places: 2)) during, \(c.lookupSuccessAfterPartition.map { percent($0, places: 2) } ?? "-") after it healed")
        }
        if let last = timeline.last {
            lines.append("routing at end: table size \(format(last.meanTableSize)), stale entries \(percent(last.staleShare, places: 1)), "
                + "own k closest known \(percent(last.closestCoverage, places: 1)), healthy \(percent(last.healthyShare, places: 1))")
        }
        if let run {
            lines.append("")
            lines.append("run (not deterministic): wall \(format(run.wallSeconds)) s, peak RSS \(format(run.peakResidentMiB)) MiB")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

func percent(_ share: Double, places: Int = 1) -> String {
    String(format: "%.\(places)f%%", share * 100)
}

/// Up to two decimals, without trailing zeros.
func format(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
