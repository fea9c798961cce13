import Glibc

/// Prints one progress line per interval to stderr until cancelled, keeping stdout for the summary.
struct ProgressReporter: Sendable {
    let label: String
    let describe: @Sendable () -> String
    var interval: Duration = .seconds(1)

    func run() async {
        let start = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            let elapsed = Formatting.fixed(seconds(start.duration(to: .now)), decimals: 1)
            printToStandardError("[\(label) \(elapsed)s] \(describe())")
        }
    }
}

/// One write(2) per line, so lines from concurrent tasks never interleave.
func printToStandardError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        guard written > 0 else { return }
        offset += written
    }
}

func seconds(_ duration: Duration) -> Double {
    let (wholeSeconds, attoseconds) = duration.components
    return Double(wholeSeconds) + Double(attoseconds) / 1e18
}
