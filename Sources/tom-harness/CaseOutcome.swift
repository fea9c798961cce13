/// Why a conformance case did not pass: the reason is printed after `FAIL name (ms):`.
struct CaseFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A case that does not apply with the given options.
struct CaseSkip: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

func check(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
    if !condition { throw CaseFailure(reason()) }
}

/// A test on one received message.
typealias MessagePredicate = @Sendable (JSONValue) -> Bool
