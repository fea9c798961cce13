import TomDHT

/// One publication of a gateway, run as `GatewayRuntime.putPending` runs it (29f3753): every
/// changed entry page at once (at most 16 puts in flight); the pages no node stored once
/// more; then the manifest, so a reader that sees the new manifest finds the pages it names
/// stored. The pages still not stored after the second try are `unstored` (the runtime
/// queues them again after a refresh interval). A gateway's publications may overlap.
struct RosterPublication {
    private enum Step {
        case pages, pagesAgain, manifest, done
    }

    private var step = Step.pages
    private var batch: OperationBatch<MutableItem>
    private let manifest: [MutableItem]
    /// The puts of the running step that stored nothing.
    private var missed: [MutableItem] = []
    /// The pages not stored by either try.
    private(set) var unstored: [MutableItem] = []
    /// The pages put a second time (the first try stored nothing).
    private(set) var retried = 0

    /// `items`: the newest item of each changed page, in a fixed order.
    init(_ items: [MutableItem], manifestSalt: [UInt8]) {
        batch = OperationBatch(items.filter { $0.salt != manifestSalt })
        manifest = items.filter { $0.salt == manifestSalt }
    }

    var isDone: Bool { step == .done }

    /// The puts to start first.
    mutating func start() -> [MutableItem] {
        let started = batch.startFirst()
        return started.isEmpty ? advance() : started
    }

    /// One put finished (`stored`: at least one node took it): the puts to start now, the
    /// next of this step or the whole next step.
    mutating func finishOne(_ item: MutableItem, stored: Bool) -> [MutableItem] {
        if !stored, step != .manifest { missed.append(item) }
        if let next = batch.finishOne() { return [next] }
        return batch.isDone ? advance() : []
    }

    /// The running step is over: starts the next one that has puts to make.
    private mutating func advance() -> [MutableItem] {
        while step != .done {
            switch step {
            case .pages where !missed.isEmpty:
                step = .pagesAgain
                retried = missed.count
                batch = OperationBatch(missed)
                missed = []
            case .pages, .pagesAgain:
                unstored = missed
                missed = []
                step = .manifest
                batch = OperationBatch(manifest)
            case .manifest, .done:
                step = .done
                return []
            }
            let started = batch.startFirst()
            if !started.isEmpty { return started }
        }
        return []
    }
}
