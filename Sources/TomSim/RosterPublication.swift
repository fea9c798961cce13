import TomDHT

/// One publication of a gateway in flight, run as `GatewayRuntime.putPending` runs it: every
/// changed entry page at once (at most 16 puts in flight), then, once they all finished, the
/// manifest, so a reader that sees the new manifest finds the pages it names stored. A
/// publication does not wait for an earlier one still in flight (nor does the runtime's).
struct RosterPublication {
    private var batches: [[MutableItem]]
    private var batch = OperationBatch<MutableItem>([])

    /// `items`: the newest item of each changed page, in a fixed order.
    init(_ items: [MutableItem], manifestSalt: [UInt8]) {
        batches = [items.filter { $0.salt != manifestSalt }, items.filter { $0.salt == manifestSalt }].filter { !$0.isEmpty }
    }

    var isDone: Bool { batches.isEmpty && batch.isDone }

    /// The puts to start first.
    mutating func start() -> [MutableItem] {
        nextBatch()
    }

    /// One put finished (stored or not, as the runtime goes on either way): the puts to start
    /// now, the next of this batch or the whole next one.
    mutating func finishOne() -> [MutableItem] {
        if let item = batch.finishOne() { return [item] }
        return batch.isDone ? nextBatch() : []
    }

    private mutating func nextBatch() -> [MutableItem] {
        guard !batches.isEmpty else { return [] }
        batch = OperationBatch(batches.removeFirst())
        return batch.startFirst()
    }
}
