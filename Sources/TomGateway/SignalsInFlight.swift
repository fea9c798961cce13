import DequeModule

/// The signals one gateway forwarded over one link and the other end has not yet confirmed.
///
/// A link is an ordered, reliable stream, so the receiving gateway confirms by count: "the
/// first n signals you sent me are handled" (delivered to their target's queue, or answered
/// with `notFound`). What is still unconfirmed when the link dies may never have arrived, and
/// its senders get `peer not found`, so no signal to a connected client vanishes silently.
struct SignalsInFlight {
    /// The origin client of each unconfirmed signal, oldest first.
    private var senders = Deque<UInt64>()
    private var confirmedCount: UInt64 = 0

    var count: Int { senders.count }

    mutating func forwarded(replyTo sender: UInt64) {
        senders.append(sender)
    }

    /// The receiver's count of handled signals. A count beyond what was sent, or one that goes
    /// backwards, is from a broken or hostile gateway and confirms only what it can.
    mutating func confirm(handled total: UInt64) {
        guard total > confirmedCount else { return }
        let newlyConfirmed = min(total - confirmedCount, UInt64(senders.count))
        senders.removeFirst(Int(newlyConfirmed))
        confirmedCount += newlyConfirmed
    }

    /// The senders of everything unconfirmed, oldest first: those owed an answer if the link dies.
    var unconfirmed: [UInt64] { Array(senders) }
}
