/// A binary min-heap of timed entries. Entries due at the same time come out in the order
/// they were scheduled, which keeps simulations deterministic.
struct EventQueue<Payload: Sendable>: Sendable {
    private struct Entry: Sendable {
        var time: DHTTime
        var sequence: UInt64
        var payload: Payload

        func precedes(_ other: Entry) -> Bool {
            (time, sequence) < (other.time, other.sequence)
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: DHTTime? { heap.first?.time }

    mutating func schedule(_ payload: Payload, at time: DHTTime) {
        nextSequence += 1
        heap.append(Entry(time: time, sequence: nextSequence, payload: payload))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> (time: DHTTime, payload: Payload)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (first.time, first.payload)
    }
}
