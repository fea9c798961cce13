import NIOConcurrencyHelpers
import TomSignaling

/// The one queue through which every legacy connection's messages reach the hub.
///
/// Connections decode on their event loops and must not wait for the hub actor there, and
/// a task per connection (or per message) is what made connections heavy (Docs/performance.md).
/// So each event loop appends here, and a single consumer task hands the events to the hub
/// in arrival order: a connection's own messages, and its disconnect after them, keep their
/// order, and the consumer wakes once per batch rather than once per message.
///
/// The queue is bounded: an append that finds it at `highWatermark` tells the connection to
/// stop reading (`submit` returns true), and the connection asks to be resumed
/// (`resumeWhenDrained`) once the consumer has brought it under half. TCP then pushes back on
/// clients instead of memory growing.
final class HubInbox: Sendable {
    enum Event: Sendable {
        case request(LegacyRequest, ClientSession)
        case disconnected(ClientSession)
    }

    private struct State {
        var events: [Event] = []
        var consumer: CheckedContinuation<Void, Never>?
        var paused: [@Sendable () -> Void] = []
        var finished = false
    }

    let highWatermark: Int
    private let state = NIOLockedValueBox(State())

    init(highWatermark: Int = 65_536) {
        self.highWatermark = highWatermark
    }

    private var lowWatermark: Int { highWatermark / 2 }

    /// Appends `event`; true when the queue is full and the caller should stop reading.
    @discardableResult
    func submit(_ event: Event) -> Bool {
        let (consumer, isFull) = state.withLockedValue { state in
            state.events.append(event)
            let consumer = state.consumer
            state.consumer = nil
            return (consumer, state.events.count >= highWatermark)
        }
        consumer?.resume()
        return isFull
    }

    /// Runs `resume` once the queue is under half full (at once if it already is).
    func resumeWhenDrained(_ resume: @escaping @Sendable () -> Void) {
        let now = state.withLockedValue { state in
            guard state.events.count >= lowWatermark else { return true }
            state.paused.append(resume)
            return false
        }
        if now { resume() }
    }

    /// Hands every event to the hub `slot` holds at that moment, until `finish` is called
    /// and the queue is empty.
    func run(delivering slot: HubSlot) async {
        while let batch = await nextBatch() {
            for event in batch {
                switch event {
                case .request(let request, let session):
                    await slot.current.receive(request, from: session)
                case .disconnected(let session):
                    await slot.current.disconnected(session)
                }
            }
            resumePausedIfDrained()
        }
    }

    /// Lets `run` return once it has delivered what is queued.
    func finish() {
        let consumer = state.withLockedValue { state in
            state.finished = true
            let consumer = state.consumer
            state.consumer = nil
            return consumer
        }
        consumer?.resume()
    }

    private func nextBatch() async -> [Event]? {
        while true {
            let batch: [Event]? = state.withLockedValue { state in
                if !state.events.isEmpty {
                    defer { state.events = [] }
                    return state.events
                }
                return state.finished ? [] : nil
            }
            if let batch { return batch.isEmpty ? nil : batch }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state in
                    guard state.events.isEmpty, !state.finished else { return true }
                    state.consumer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func resumePausedIfDrained() {
        let resumes = state.withLockedValue { state -> [@Sendable () -> Void] in
            guard state.events.count < lowWatermark, !state.paused.isEmpty else { return [] }
            defer { state.paused.removeAll() }
            return state.paused
        }
        for resume in resumes { resume() }
    }
}
