/// A binary min-heap of timed entries. Entries due at the same time come out in the order
/// they were scheduled, which keeps simulations deterministic. Public so simulators built on
/// the virtual network (TomSim) can keep their own timers the same way.
///
/// The heap holds only small fixed-size keys (time, sequence, slot); payloads stay put in a
/// slot array, so sifting moves 24 bytes per level instead of a whole payload (a datagram
/// and its addresses), which matters with a million entries in flight.
public struct EventQueue<Payload: Sendable>: Sendable {
    private struct Key: Sendable {
        var time: UInt64
        var sequence: UInt64
        var slot: Int

        @inline(__always)
        func precedes(_ other: Key) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    private var heap: [Key] = []
    private var slots: [Payload?] = []
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    public var nextTime: DHTTime? { heap.first.map { DHTTime(nanoseconds: $0.time) } }

    public mutating func schedule(_ payload: Payload, at time: DHTTime) {
        nextSequence += 1
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = payload
        } else {
            slot = slots.count
            slots.append(payload)
        }
        let key = Key(time: time.nanoseconds, sequence: nextSequence, slot: slot)
        heap.append(key)
        // Sift up, moving parents down into the hole instead of swapping.
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard key.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = key
    }

    public mutating func popFirst() -> (time: DHTTime, payload: Payload)? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            // Sift the last key down from the root.
            var parent = 0
            let count = heap.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                let right = left + 1
                let smaller = right < count && heap[right].precedes(heap[left]) ? right : left
                guard heap[smaller].precedes(last) else { break }
                heap[parent] = heap[smaller]
                parent = smaller
            }
            heap[parent] = last
        }
        let payload = slots[first.slot].take()!
        freeSlots.append(first.slot)
        return (DHTTime(nanoseconds: first.time), payload)
    }
}
