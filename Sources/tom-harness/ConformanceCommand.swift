import ArgumentParser
import Foundation

/// `tom-harness conformance`: the legacy protocol's scenarios against any server.
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Runs the legacy protocol scenarios against a running server (seed, peer or another implementation).",
        discussion: """
            Every case makes its own connections with fresh random nodeIds, and skips messages \
            about nodeIds it did not make, so the server may have other clients.
            """
    )

    @Option(help: "Server URL, ws://HOST:PORT; or several gateways of one network, comma-separated, over which each case spreads its clients.")
    var url: String = "ws://127.0.0.1:3001"

    @Option(help: "Seconds to wait for each expected event.")
    var timeout: Double = 5

    @Flag(help: "Skip the hardening cases (tom-node's fixes of the original server's defects).")
    var legacyOnly = false

    @Flag(inversion: .prefixedNo, help: "Run the cases that send binary frames (read as text, like the original).")
    var binaryAsText = true

    @Flag(help: "The server runs with --require-auth: run only the required-auth cases (old clients' registers are refused there).")
    var requireAuth = false

    @Option(help: "The server's message size limit, for the size cases (0 skips them).")
    var maxMessageBytes: Int = 1_048_576

    @Option(name: .customLong("only"), help: "Run only cases whose name contains TEXT (repeatable, case-insensitive).")
    var only: [String] = []

    @Flag(help: "List the selected cases and exit.")
    var list = false

    @Option(help: "Write every message each client saw to FILE (seconds, client, direction, text; tab-separated).")
    var transcript: String?

    func validate() throws {
        _ = try servers()
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be in (0, 600] seconds") }
        guard maxMessageBytes >= 0 else { throw ValidationError("--max-message-bytes must not be negative") }
    }

    private func servers() throws -> [ServerAddress] {
        do {
            let list = try url.split(separator: ",").map { try ServerAddress(url: $0.trimmingCharacters(in: .whitespaces)) }
            guard !list.isEmpty else { throw HarnessError("no server given") }
            return list
        } catch {
            throw ValidationError("--url: \(error)")
        }
    }

    var selected: [ConformanceCase] {
        ConformanceCase.all.filter { item in
            if item.group == .hardening || item.group == .auth, legacyOnly { return false }
            if (item.group == .requiredAuth) != requireAuth { return false }
            if item.group == .binary, !binaryAsText { return false }
            if !only.isEmpty, !only.contains(where: { item.name.lowercased().contains($0.lowercased()) }) { return false }
            return true
        }
    }

    func run() async throws {
        let cases = selected
        if list {
            for item in cases { ResultLine.emit("[\(item.group.rawValue)] \(item.name)") }
            return
        }
        let transcript: Transcript
        do {
            transcript = try Transcript(path: self.transcript)
        } catch {
            throw ValidationError("\(error)")
        }
        let settings = ConformanceSettings(
            servers: try servers(), timeout: .milliseconds(Int64(timeout * 1000)),
            maxMessageBytes: maxMessageBytes, transcript: transcript)
        var passed = 0
        var failed = 0
        var skipped = 0
        for (index, item) in cases.enumerated() {
            let line = await Self.run(item, number: index + 1, settings: settings)
            switch line {
            case .pass: passed += 1
            case .fail: failed += 1
            case .skip: skipped += 1
            }
            ResultLine.emit(line.text)
        }
        await transcript.close()
        ResultLine.emit(ResultLine.summary(passed: passed, failed: failed, skipped: skipped))
        if failed > 0 { throw ExitCode(1) }
    }

    static func run(_ item: ConformanceCase, number: Int, settings: ConformanceSettings) async -> ResultLine {
        let context = CaseContext(settings: settings, number: number)
        if settings.transcript.isEnabled {
            await settings.transcript.record("case\(number)", .event, "begin: \(item.name)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let line: ResultLine
        do {
            try await item.run(context)
            line = .pass(item.name, clock.now - start)
        } catch let failure as CaseFailure {
            line = .fail(item.name, clock.now - start, failure.reason)
        } catch let skip as CaseSkip {
            line = .skip(item.name, skip.reason)
        } catch {
            line = .fail(item.name, clock.now - start, "\(error)")
        }
        await context.closeAll()
        return line
    }
}
