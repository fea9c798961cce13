import Foundation

/// The report lines every subcommand prints, flushed at once so a CI log shows progress.
enum ResultLine {
    case pass(String, Duration)
    case fail(String, Duration, String)
    case skip(String, String)

    var text: String {
        switch self {
        case .pass(let name, let took): return "PASS \(name) (\(Self.milliseconds(took)) ms)"
        case .fail(let name, let took, let reason): return "FAIL \(name) (\(Self.milliseconds(took)) ms): \(reason)"
        case .skip(let name, let reason): return "SKIP \(name): \(reason)"
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func emit(_ text: String) {
        // Unbuffered, so a CI log shows each line as it happens even when piped.
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func summary(passed: Int, failed: Int, skipped: Int) -> String {
        "\(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : "")
    }
}
