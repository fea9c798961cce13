/// The receiving side of one client: everything the socket delivered, queued for cases that
/// read messages one by one, and summed up in `ClientObservations` for checks that wait for a
/// state. Waiting never disturbs the connection; a timed-out wait just returns nil.
actor ClientInbox {
    private let keepsQueue: Bool
    private var queue: [Inbound] = []
    private var head = 0
    private var terminal: Inbound?
    private(set) var observations = ClientObservations()

    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var timers: [UInt64: Task<Void, Never>] = [:]
    private var nextWaiter: UInt64 = 0

    /// - Parameter keepsQueue: false for clients that only ever wait for observations
    ///   (the migration), so a long run does not hold every message twice.
    init(keepsQueue: Bool = true) {
        self.keepsQueue = keepsQueue
    }

    func deliver(_ item: Inbound) {
        guard terminal == nil else { return }
        observations.apply(item)
        if item.isTerminal {
            terminal = item
        } else if keepsQueue {
            queue.append(item)
        }
        for id in Array(waiters.keys) { wake(id) }
    }

    /// The next item, or the terminal item (again and again) once the queue is drained;
    /// nil when nothing came before `deadline`.
    func next(until deadline: ContinuousClock.Instant) async -> Inbound? {
        while true {
            if head < queue.count {
                let item = queue[head]
                head += 1
                if head > 1024, head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                return item
            }
            if let terminal { return terminal }
            if ContinuousClock.now >= deadline { return nil }
            await waitForDelivery(until: deadline)
        }
    }

    /// The observations once `condition` holds for them; nil if it did not by `deadline`.
    func wait(
        until deadline: ContinuousClock.Instant, for condition: @Sendable (ClientObservations) -> Bool
    ) async -> ClientObservations? {
        while true {
            if condition(observations) { return observations }
            if ContinuousClock.now >= deadline { return nil }
            await waitForDelivery(until: deadline)
        }
    }

    private func waitForDelivery(until deadline: ContinuousClock.Instant) async {
        let id = nextWaiter
        nextWaiter += 1
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiters[id] = continuation
            timers[id] = Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                await self?.wake(id)
            }
        }
    }

    private func wake(_ id: UInt64) {
        timers.removeValue(forKey: id)?.cancel()
        waiters.removeValue(forKey: id)?.resume()
    }
}
