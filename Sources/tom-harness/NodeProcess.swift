import Foundation
import Glibc

/// One tom-node process the harness started, with its ports, data directory and log file.
final class NodeProcess: Sendable {
    let name: String
    let address: ServerAddress
    let dhtPort: Int
    let dataDirectory: String
    let logFile: String
    let pid: Int32

    /// Starts `binary` with `arguments`, standard output and error going to `logFile`.
    init(
        name: String, binary: String, arguments: [String], address: ServerAddress, dhtPort: Int, dataDirectory: String,
        logFile: String
    ) throws {
        guard FileManager.default.createFile(atPath: logFile, contents: nil),
            let log = FileHandle(forWritingAtPath: logFile)
        else { throw HarnessError("cannot create \(logFile)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw HarnessError("cannot start \(binary): \(error)")
        }
        try? log.close()
        self.name = name
        self.address = address
        self.dhtPort = dhtPort
        self.dataDirectory = dataDirectory
        self.logFile = logFile
        self.pid = process.processIdentifier
    }

    /// True until the process has exited (it is reaped here when it has).
    var isRunning: Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == 0
    }

    func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace`.
    func stop(grace: Duration = .seconds(5)) async {
        guard isRunning else { return }
        signal(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isRunning {
            signal(SIGKILL)
            while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// The last `lines` lines of the log, for failure reports.
    func logTail(_ lines: Int = 5) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
