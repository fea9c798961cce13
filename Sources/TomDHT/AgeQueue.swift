/// Keys in the order they were last stored, oldest first, for stores that evict or expire
/// the oldest entry.
///
/// Re-storing a key does not move its old queue slot: it pushes a new one with a new stamp
/// and the store remembers the latest stamp per key. Slots whose stamp no longer matches
/// are stale and skipped by the store. This keeps every operation O(1) amortised and,
/// unlike iterating a `Dictionary`, gives the same order in every process, which the
/// simulator's determinism relies on.
struct AgeQueue<Key: Hashable & Sendable>: Sendable {
    typealias Slot = (key: Key, stamp: UInt64)

    private var slots: [Slot] = []
    private var head = 0
    private var nextStamp: UInt64 = 0

    /// Appends `key` as the newest entry and returns the stamp the store must remember.
    mutating func push(_ key: Key) -> UInt64 {
        nextStamp += 1
        slots.append((key, nextStamp))
        return nextStamp
    }

    /// The front slot, which may be stale.
    var oldest: Slot? {
        head < slots.count ? slots[head] : nil
    }

    mutating func dropOldest() {
        guard head < slots.count else { return }
        head += 1
        if head == slots.count {
            slots.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > slots.count {
            slots.removeFirst(head)
            head = 0
        }
    }

    /// Whether stale slots outnumber live entries enough to be worth a sweep; without one,
    /// re-storing the same keys over and over would grow the queue without bound.
    func needsCompaction(liveCount: Int) -> Bool {
        slots.count - head > 2 * liveCount + 1024
    }

    /// The slots from oldest to newest, for a store to filter during compaction.
    var pendingSlots: ArraySlice<Slot> { slots[head...] }

    /// Replaces the queue with `live`, which must keep the oldest-first order.
    mutating func replaceSlots(with live: [Slot]) {
        slots = live
        head = 0
    }
}
