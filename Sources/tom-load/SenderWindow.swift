import Synchronization

/// One relay sender's flow control: at most `size` of its signals may be undelivered.
/// Receivers return a credit for each of its signals they see; a waiting sender is woken.
final class SenderWindow: Sendable {
    let size: Int
    /// Signals of this sender that arrived somewhere (or were refused by the server).
    private let returned = Atomic<Int>(0)
    /// At most one pending wake-up: the sender re-reads `returned` when it wakes anyway.
    let wakeups: AsyncStream<Void>
    private let wakeupSource: AsyncStream<Void>.Continuation

    init(size: Int) {
        self.size = size
        (wakeups, wakeupSource) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func returnCredit() {
        returned.wrappingAdd(1, ordering: .relaxed)
        wakeupSource.yield()
    }

    /// How many more signals may go out now, given `sent` so far.
    func available(afterSending sent: Int) -> Int {
        min(size, size - (sent - returned.load(ordering: .relaxed)))
    }

    /// Ends the run: a sender waiting for credits stops.
    func close() {
        wakeupSource.finish()
    }
}
