/// A harness problem that is not a test failure (bad arguments, a node that would not start):
/// reported as one line, exit code 2.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
