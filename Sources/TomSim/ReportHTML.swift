extension SimulationReport {
    /// A self-contained HTML page: the summary, tables and inline SVG charts (latency CDF,
    /// hop histogram, convergence over time, storage balance). No scripts, no external files.
    public func html() -> String {
        var body = ""
        body += "<h1>tom-sim report</h1>"
        body += "<p class=\"lead\">\(escape(summaryText().split(separator: "\n").first.map(String.init) ?? ""))</p>"
        body += section("Operations", operationsTable())
        body += section("Latency (CDF, simulated ms)", SVGChart.lines(
            operations.map { op in SVGChart.Series(name: op.kind, points: op.latencyCDF.map { ($0[0], $0[1]) }) },
            xLabel: "milliseconds", yLabel: "share completed", yMax: 1, yPercent: true, steps: true, legendAt: 1))
        if let lookups = operations.first(where: { $0.kind == "find_node" }) {
            body += section("find_node hops", SVGChart.bars(
                lookups.hopsHistogram, labels: lookups.hopsHistogram.indices.map(String.init),
                xLabel: "hops", yLabel: "lookups"))
        }
        let bands = phases.filter { $0.endSeconds > $0.startSeconds }.map { SVGChart.Band(from: $0.startSeconds, to: $0.endSeconds, label: $0.name) }
        body += section("Convergence over time", SVGChart.lines(
            [
                SVGChart.Series(name: "healthy tables", points: timeline.map { ($0.seconds, $0.healthyShare) }),
                SVGChart.Series(name: "own k closest known", points: timeline.map { ($0.seconds, $0.closestCoverage) }),
                SVGChart.Series(name: "stale entries", points: timeline.map { ($0.seconds, $0.staleShare) }),
                SVGChart.Series(name: "lookup success", points: timeline.compactMap { sample in sample.lookupSuccess.map { (sample.seconds, $0) } }),
            ],
            xLabel: "simulated seconds", yLabel: "share", yMax: 1, yPercent: true, bands: bands, legendAt: 0.45)
            + "<p class=\"note\">Every \(format(options.sampleSeconds)) s, \(options.healthSampleSize) random nodes that finished joining are compared with the truth: "
            + "a table is healthy when it holds at least k-1 of the node's k closest live nodes; stale entries point at nodes that left. "
            + "Lookup success is over the lookups that completed in each window.</p>")
        body += section("Nodes over time", SVGChart.lines(
            [
                SVGChart.Series(name: "live", points: timeline.map { ($0.seconds, Double($0.liveNodes)) }),
                SVGChart.Series(name: "joined (ready)", points: timeline.map { ($0.seconds, Double($0.readyNodes)) }),
                SVGChart.Series(name: "mean table size", points: timeline.map { ($0.seconds, $0.meanTableSize) }),
            ],
            xLabel: "simulated seconds", yLabel: "nodes", bands: bands, legendAt: 0.5))
        body += section("Storage balance", "<div class=\"row\">"
            + SVGChart.bars(storage.itemsHistogram, labels: histogramLabels(storage.itemsHistogram.count, cap: 10), xLabel: "BEP 44 items held", yLabel: "ToM nodes")
            + SVGChart.bars(storage.peersHistogram, labels: histogramLabels(storage.peersHistogram.count, cap: 20), xLabel: "announced peers held", yLabel: "nodes")
            + "</div>" + storageTable())
        body += section("Figures", figuresTable())
        body += section("Network", networkTable())
        body += section("Options", "<pre>\(escape(optionsText()))</pre>")
        if let run {
            body += section("Run (not reproducible)", "<p>wall \(format(run.wallSeconds)) s, peak RSS \(format(run.peakResidentMiB)) MiB, host \(escape(run.host))</p>")
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>tom-sim report, \(options.nodes) nodes, seed \(options.seed)</title>
        <style>
        body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1320px;color:#222;padding:0 16px}
        h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
        table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
        th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
        .chart{background:#fff;margin:4px 12px 4px 0}.axis{stroke:#444}.grid{stroke:#eee}
        .tick{font-size:10px;fill:#444}.label{font-size:12px;fill:#222}.band{font-size:10px;fill:#888}
        .row{display:flex;flex-wrap:wrap}.note{color:#555;max-width:900px}.lead{font-weight:600}
        </style></head><body>
        \(body)
        </body></html>

        """
    }

    private func section(_ title: String, _ content: String) -> String {
        "<h2>\(escape(title))</h2>\n\(content)\n"
    }

    private func operationsTable() -> String {
        var rows = "<tr><th>operation</th><th>started</th><th>completed</th><th>succeeded</th><th>abandoned</th><th>success</th>"
            + "<th>hops p50</th><th>hops p99</th><th>latency p50 ms</th><th>p90</th><th>p99</th><th>messages/op</th><th>bytes/op</th></tr>"
        for op in operations {
            rows += "<tr><td>\(escape(op.kind))</td><td>\(op.started)</td><td>\(op.completed)</td><td>\(op.succeeded)</td><td>\(op.abandoned)</td>"
                + "<td>\(percent(op.successRate, places: 2))\(op.nearSuccessRate.map { " (k-1: \(percent($0, places: 2)))" } ?? "")</td>"
                + "<td>\(op.hopsMedian)</td><td>\(op.hopsP99)</td>"
                + "<td>\(format(op.latencyMilliseconds.p50))</td><td>\(format(op.latencyMilliseconds.p90))</td><td>\(format(op.latencyMilliseconds.p99))</td>"
                + "<td>\(format(op.messagesPerOperation.mean))</td><td>\(format(op.bytesPerOperation.mean))</td></tr>"
        }
        return "<table>\(rows)</table>"
    }

    private func storageTable() -> String {
        func row(_ name: String, _ d: DistributionSummary) -> String {
            "<tr><td>\(escape(name))</td><td>\(d.count)</td><td>\(format(d.mean))</td><td>\(format(d.p50))</td><td>\(format(d.p90))</td><td>\(format(d.p99))</td><td>\(format(d.max))</td></tr>"
        }
        return "<table><tr><th>per node</th><th>nodes</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>"
            + row("BEP 44 items (ToM nodes)", storage.itemsPerToMNode) + row("announced peers", storage.peersPerNode) + "</table>"
    }

    private func figuresTable() -> String {
        var rows = ""
        let c = convergence
        rows += "<tr><td>join (bootstrap) time p50 / p99</td><td>\(format(c.joinMilliseconds.p50)) / \(format(c.joinMilliseconds.p99)) ms</td></tr>"
        rows += "<tr><td>bootstraps retried</td><td>\(c.joinRetries)</td></tr>"
        rows += "<tr><td>routing tables healthy (95% of sample) at</td><td>\(c.routingHealthySeconds.map { "\(format($0)) s" } ?? "never")\(c.routingHealthyAfterJoinsSeconds.map { " (\(format($0)) s after the last join)" } ?? "")</td></tr>"
        if let during = c.lookupSuccessDuringPartition {
            rows += "<tr><td>lookup success during the partition</td><td>\(percent(during, places: 2))</td></tr>"
        }
        if let after = c.lookupSuccessAfterPartition {
            rows += "<tr><td>lookup success after it healed</td><td>\(percent(after, places: 2))</td></tr>"
        }
        for figure in workloadFigures {
            rows += "<tr><td>\(escape(figure.name))</td><td>\(format(figure.value))\(figure.unit.isEmpty ? "" : " " + escape(figure.unit))</td></tr>"
        }
        return "<table>\(rows)</table>"
    }

    private func networkTable() -> String {
        let n = network
        let rows: [(String, String)] = [
            ("nodes that ever joined", "\(n.nodesEverJoined)"),
            ("live at end (vanilla)", "\(n.liveAtEnd) (\(n.vanillaLiveAtEnd))"),
            ("left / joined later", "\(n.departures) / \(n.joinsAfterStart)"),
            ("simulated seconds", format(n.simulatedSeconds)),
            ("datagrams sent", "\(n.datagramsSent)"),
            ("delivered / lost / partitioned / to departed nodes", "\(n.datagramsDelivered) / \(n.datagramsLost) / \(n.datagramsPartitioned) / \(n.datagramsUndeliverable)"),
            ("bytes sent", "\(n.bytesSent)"),
            ("datagrams per node per minute", format(n.datagramsPerNodePerMinute)),
        ]
        return "<table>" + rows.map { "<tr><td>\(escape($0.0))</td><td>\($0.1)</td></tr>" }.joined() + "</table>"
    }

    private func optionsText() -> String {
        let o = options
        var lines = [
            "--nodes \(o.nodes) --seed \(o.seed)",
            "--latency-ms \(o.latencyMinMilliseconds)-\(o.latencyMaxMilliseconds) --latency \(o.latencyDistribution.rawValue) --latency-sigma \(format(o.latencySigma))",
            "--loss \(format(o.loss)) --churn \(format(o.churnPerHour)) --vanilla-share \(format(o.vanillaShare))",
            "--join \(format(o.joinSeconds)) --warmup \(format(o.warmupSeconds)) --duration \(format(o.durationSeconds)) --sample \(format(o.sampleSeconds)) --health-sample-size \(o.healthSampleSize)",
            "--lookups \(o.lookups) --puts \(o.puts) --topics \(o.topics) --topic-members \(o.topicMembers) --topic-queries \(o.topicQueries)",
        ]
        if let retries = o.lookupRetries { lines.append("--lookup-retries \(retries)") }
        if let p = o.partition {
            lines.append("--partition \(format(p.startSeconds))+\(format(p.durationSeconds)):\(format(p.share))")
        }
        return lines.joined(separator: "\n")
    }

    private func histogramLabels(_ count: Int, cap: Int) -> [String] {
        (0..<count).map { $0 == cap - 1 ? "\($0)+" : "\($0)" }
    }
}
