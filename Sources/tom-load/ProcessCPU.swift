import Glibc

/// CPU time (user + system) consumed by this process or another one, in seconds, so the
/// relay can report what one signal costs each side rather than only wall-clock rates.
enum ProcessCPU {
    /// This process, all threads, from getrusage(2).
    static func ownSeconds() -> Double {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Another process, from fields 14 and 15 (utime, stime) of /proc/PID/stat.
    static func seconds(pid: Int32) -> Double? {
        guard let stat = ProcessMemory.readSmallFile("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
        guard let nameEnd = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        let ticksPerSecond = sysconf(Int32(_SC_CLK_TCK))
        guard ticksPerSecond > 0 else { return nil }
        return Double(user + system) / Double(ticksPerSecond)
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1e6
    }
}

/// CPU seconds of this process and (optionally) the server over one phase of a scenario.
struct CPUSample {
    let own: Double
    let server: Double?

    static func take(serverPid: Int32?) -> CPUSample {
        CPUSample(own: ProcessCPU.ownSeconds(), server: serverPid.flatMap { ProcessCPU.seconds(pid: $0) })
    }

    /// Adds the CPU seconds of this tool and of the server from `start` to `self`, and each per signal (µs).
    func add(since start: CPUSample, signals: Int, to summary: inout Summary) {
        let own = self.own - start.own
        summary.add("tool_cpu_s", own, decimals: 3)
        summary.add("tool_cpu_us_per_signal", signals > 0 ? own / Double(signals) * 1e6 : nil, decimals: 2)
        guard let end = server, let begin = start.server else { return }
        let server = end - begin
        summary.add("server_cpu_s", server, decimals: 2)
        summary.add("server_cpu_us_per_signal", signals > 0 ? server / Double(signals) * 1e6 : nil, decimals: 2)
    }
}
