import ArgumentParser

/// What a scenario hands back: its summary and whether it reached its goal in time.
struct ScenarioResult {
    var summary: Summary
    var complete: Bool
}

/// Runs a scenario with a progress line and (optionally) server memory sampling around it,
/// prints the summary, and turns an incomplete run into a non-zero exit.
enum ScenarioRunner {
    static func run(
        label: String,
        options: CommonOptions,
        counters: LoadCounters,
        progress: @escaping @Sendable () -> String,
        scenario: () async -> ScenarioResult
    ) async throws {
        let (result, memory) = await withTaskGroup(of: ServerMemorySampler.Report?.self) { group in
            group.addTask {
                await ProgressReporter(label: label, describe: progress).run()
                return nil
            }
            if let pid = options.serverPid {
                group.addTask { await ServerMemorySampler(pid: pid).run() }
            }
            let result = await scenario()
            group.cancelAll()
            var memory: ServerMemorySampler.Report?
            for await report in group {
                if let report { memory = report }
            }
            return (result, memory)
        }

        var summary = result.summary
        if let memory {
            summary.add("server_rss_start_kib", memory.first.map { .int($0.residentKiB) } ?? .none)
            summary.add("server_rss_end_kib", memory.last.map { .int($0.residentKiB) } ?? .none)
            summary.add("server_rss_peak_sampled_kib", memory.peakSampledResidentKiB)
            summary.add("server_vmhwm_kib", memory.last.map { .int($0.peakResidentKiB) } ?? .none)
        }
        summary.add("complete", result.complete)
        print(options.json ? summary.renderJSON() : summary.renderText())
        if !result.complete {
            throw ExitCode(1)
        }
    }
}
