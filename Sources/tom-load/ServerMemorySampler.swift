/// Samples the server's memory until cancelled, keeping the highest RSS seen.
struct ServerMemorySampler: Sendable {
    struct Report: Sendable {
        let first: ProcessMemory?
        let last: ProcessMemory?
        let peakSampledResidentKiB: Int
    }

    let pid: Int32
    var interval: Duration = .milliseconds(200)

    func run() async -> Report {
        let first = ProcessMemory.read(pid: pid)
        var last = first
        var peak = first?.residentKiB ?? 0
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard let sample = ProcessMemory.read(pid: pid) else { break }
            last = sample
            peak = max(peak, sample.residentKiB)
        }
        return Report(first: first, last: last, peakSampledResidentKiB: peak)
    }
}
