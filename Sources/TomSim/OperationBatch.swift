/// Inputs run at most `limit` at a time, the next one starting as soon as one finishes: what
/// `GatewayRuntime.concurrently` does with a refresh's gets and a publication's puts
/// (`GatewaySettings.maxConcurrentDHTOperations`, 16).
struct OperationBatch<Input> {
    static var defaultLimit: Int { 16 }

    private let inputs: [Input]
    private let limit: Int
    private var next = 0
    private(set) var inFlight = 0

    init(_ inputs: [Input], limit: Int = Self.defaultLimit) {
        self.inputs = inputs
        self.limit = max(limit, 1)
    }

    var isEmpty: Bool { inputs.isEmpty }
    /// Every input started and finished.
    var isDone: Bool { next == inputs.count && inFlight == 0 }

    /// The inputs to start now: the first `limit` of them.
    mutating func startFirst() -> [Input] {
        var started: [Input] = []
        while next < inputs.count, inFlight < limit {
            started.append(inputs[next])
            next += 1
            inFlight += 1
        }
        return started
    }

    /// One input finished: the one to start in its place, if any are left.
    mutating func finishOne() -> Input? {
        inFlight -= 1
        guard next < inputs.count else { return nil }
        defer { next += 1 }
        inFlight += 1
        return inputs[next]
    }
}
