import ArgumentParser

import Logging
import Synchronization
import TomCrypto

import TomDHTNIO

/// What a verb prints: the same facts for people and for scripts.
struct DHTReport: Sendable {
    var text: String
    var json: JSONOutput
    /// False makes the verb exit 1 after printing (nothing found, nothing stored).
    var success = true
}

/// Runs one `tom-node dht` verb: a short-lived node on an ephemeral port (nothing saved),
/// joined through --bootstrap, one operation, then shutdown; all within --timeout.
enum DHTVerbRunner {
    static func run(
        _ options: DHTVerbSettings,
        verb: String,
        join: Bool = true,
        _ body: @escaping @Sendable (DHTDriver, Logger) async throws -> DHTReport
    ) async throws {
        let logger = Logging.bootstrap(level: options.logLevel, format: options.logFormat)
        var configuration = DHTDriverConfiguration()
        configuration.host = options.host
        configuration.port = options.port
        configuration.lifecycleLogLevel = .debug
        // BEP 43 read-only: a one-shot client must not enter other nodes' routing tables,
        // where it would linger as a dead contact after it exits.
        configuration.dht.isReadOnly = true
        let driver: DHTDriver
        do {
            driver = try await DHTDriver.start(configuration: configuration, logger: logger)
        } catch {
            throw fail(options, verb: verb, "\(error)")
        }
        let joined = Atomic<Bool>(false)
        let hosts = options.bootstrapHosts
        let outcome: Result<DHTReport, any Error>
        do {
            outcome = .success(try await withTimeout(seconds: options.timeout) {
                if join {
                    try await driver.join(hosts: hosts, waitForSelfLookup: false)
                }
                joined.store(true, ordering: .relaxed)
                return try await body(driver, logger)
            })
        } catch {
            outcome = .failure(error)
        }
        await driver.shutdown()
        switch outcome {
        case .success(let report):
            print(options.json ? report.json.rendered : report.text)
            if !report.success { throw ExitCode(1) }
        case .failure(let error as TimedOut):
            let phase = joined.load(ordering: .relaxed)
                ? "no result" : "could not join the DHT through \(hosts.joined(separator: ","))"
            throw fail(options, verb: verb, "timed out after \(formatSeconds(error.seconds)) s: \(phase)")
        case .failure(let error):
            throw fail(options, verb: verb, "\(error)")
        }
    }

    /// Prints the failure as JSON when asked, and returns the one-line error for stderr.
    static func fail(_ options: DHTVerbSettings, verb: String, _ message: String) -> Failure {
        if options.json {
            print(JSONOutput.object([("ok", .bool(false)), ("verb", .string(verb)), ("error", .string(message))]).rendered)
        }
        return Failure("dht \(verb): \(message)")
    }
}

struct TimedOut: Error {
    let seconds: Double
}

/// `body`, cancelled and replaced by `TimedOut` when it takes longer than `seconds`.
func withTimeout<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(seconds: seconds) }
        return value
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
}

// MARK: - Rendering shared by the verbs

extension NodeInfo {
    var json: JSONOutput { .object([("id", .string(id.hex)), ("address", .string(address.description))]) }
}

extension LookupResult {
    /// Lookup statistics, the same for every verb.
    var statsJSON: [(String, JSONOutput)] {
        [("queries", .int(queriesSent)), ("responses", .int(responses)), ("hops", .int(hops))]
    }

    var statsText: String { "\(queriesSent) queries, \(responses) answers, \(hops) hops" }
}

extension KRPCErrorReply {
    var json: JSONOutput { .object([("code", .int(Int(code.rawValue))), ("message", .string(message))]) }
}

extension StoreSummary {
    var json: [(String, JSONOutput)] {
        [
            ("attempted", .int(attempted)), ("stored", .int(stored)),
            ("errors", .array(errors.map(\.json))),
            ("nodes", .array(lookup.closestNodes.map(\.json))),
        ] + lookup.statsJSON
    }

    var text: String {
        var line = "stored on \(stored) of \(attempted) nodes (\(lookup.statsText))"
        if !errors.isEmpty {
            line += "\nrefused: " + errors.map { "\($0.code.rawValue) \($0.message)" }.joined(separator: "; ")
        }
        return line
    }
}

/// A BEP 44 value for output: the text when it is a UTF-8 byte string, and the exact bencode.
func valueFields(_ value: CanonicalBencode) -> (json: [(String, JSONOutput)], text: String) {
    let bencodeHex = Hex.encode(value.bytes)
    if case .bytes(let bytes) = value.value, let text = String(validating: bytes, as: UTF8.self) {
        return ([("value", .string(text)), ("value_bencode_hex", .string(bencodeHex))], text)
    }
    let printable = String(decoding: value.bytes, as: UTF8.self)
    return ([("value", .null), ("value_bencode_hex", .string(bencodeHex))], "(bencoded) \(printable)")
}
