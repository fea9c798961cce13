/// Runs the steps of a migration run in order, one report line each. After a failure the
/// remaining steps are skipped: each builds on the one before.
final class StepRunner {
    private(set) var passed = 0
    private(set) var failed = 0
    private(set) var skipped = 0
    private let clock = ContinuousClock()

    var hasFailed: Bool { failed > 0 }

    /// Runs `body`; the text it returns is shown after the PASS line.
    func step(_ name: String, _ body: () async throws -> String) async {
        guard failed == 0 else {
            skipped += 1
            ResultLine.emit(ResultLine.skip(name, "an earlier step failed").text)
            return
        }
        let start = clock.now
        do {
            let detail = try await body()
            passed += 1
            ResultLine.emit(ResultLine.pass(name, clock.now - start).text + (detail.isEmpty ? "" : ": \(detail)"))
        } catch let failure as StepFailure {
            failed += 1
            ResultLine.emit(ResultLine.fail(name, clock.now - start, failure.reason).text)
        } catch {
            failed += 1
            ResultLine.emit(ResultLine.fail(name, clock.now - start, "\(error)").text)
        }
    }

    var summary: String { ResultLine.summary(passed: passed, failed: failed, skipped: skipped) }
}
