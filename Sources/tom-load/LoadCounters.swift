import Synchronization

/// Live totals shared by all client tasks, read by the progress line.
/// Atomics, because hundreds of tasks bump them at message rate.
final class LoadCounters: Sendable {
    let connected = Atomic<Int>(0)
    let connectFailures = Atomic<Int>(0)
    let open = Atomic<Int>(0)
    let registered = Atomic<Int>(0)
    let converged = Atomic<Int>(0)
    let signalsSent = Atomic<Int>(0)
    let signalsDelivered = Atomic<Int>(0)
    let sendersFinished = Atomic<Int>(0)
    let serverErrors = Atomic<Int>(0)
    let sendErrors = Atomic<Int>(0)
    let messagesReceived = Atomic<Int>(0)
    let bytesReceived = Atomic<Int>(0)
    let unexpectedCloses = Atomic<Int>(0)
    /// Participants a client must see listed to count as converged (0 until known).
    let expectedParticipants = Atomic<Int>(0)
    /// Set once the tool starts closing connections itself, so those closes are not "unexpected".
    let shuttingDown = Atomic<Bool>(false)
}

extension Atomic where Value == Int {
    /// Relaxed ordering: these are statistics, nothing else is published through them.
    func bump(by amount: Int = 1) {
        wrappingAdd(amount, ordering: .relaxed)
    }

    var value: Int {
        load(ordering: .relaxed)
    }
}
