import Glibc

/// VmRSS and VmHWM (peak RSS) of a process, from /proc/PID/status, in KiB.
struct ProcessMemory: Sendable {
    let residentKiB: Int
    let peakResidentKiB: Int

    static func read(pid: Int32) -> ProcessMemory? {
        guard let status = readSmallFile("/proc/\(pid)/status") else { return nil }
        var resident: Int?
        var peak: Int?
        for line in status.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") {
                resident = kibValue(line)
            } else if line.hasPrefix("VmHWM:") {
                peak = kibValue(line)
            }
        }
        guard let resident, let peak else { return nil }
        return ProcessMemory(residentKiB: resident, peakResidentKiB: peak)
    }

    /// "VmRSS:	   12345 kB" -> 12345
    private static func kibValue(_ line: Substring) -> Int? {
        line.split(separator: " ").lazy.compactMap { Int($0.filter(\.isNumber)) }.first
    }

    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
