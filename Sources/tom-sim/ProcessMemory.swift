import Foundation

enum ProcessMemory {
    /// Peak resident set size (VmHWM from /proc/self/status) in MiB; 0 where unavailable.
    static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.dropFirst("VmHWM:".count).filter(\.isNumber)
            return (Double(String(digits)) ?? 0) / 1024
        }
        return 0
    }
}
