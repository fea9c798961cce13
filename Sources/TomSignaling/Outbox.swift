import NIOConcurrencyHelpers
import NIOCore

/// A connection's bounded queue of outgoing messages.
///
/// Producers (the hub, the connection's own reader) enqueue from any thread and never wait,
/// so one slow reader never delays anyone else. The first message into an empty queue calls
/// `wake`; the transport then takes everything queued in one batch (`takeAll`) and writes it
/// with a single flush. Bytes count as pending until the transport reports them written
/// (`didWrite`). Past `limitBytes` pending, the queue shuts, drops its backlog and calls
/// `onOverflow` once: the transport closes that client (1008) instead of letting its backlog
/// grow without bound.
///
/// A message enqueued as a *snapshot* (the participants list) replaces an older snapshot
/// still waiting in the queue: the client could not have seen the older one yet, and the
/// newer one is appended after every message queued since, so ordering guarantees hold.
/// A client that keeps up sees every snapshot; one that lags during a registration storm
/// holds one list, not hundreds.
///
/// The state sits behind one lock because enqueueing must be synchronous for producers on
/// any executor, and taking must be synchronous on the consumer's event loop. The lock is
/// NIO's (a pthread mutex), not `Synchronization.Mutex`: on Linux the latter is a futex the
/// thread sanitizer cannot see (it reported this queue as racing), and it is known to be slow
/// under contention, which this queue has (the hub and an event loop, per message).
public final class Outbox: Sendable {
    public enum EnqueueResult: Sendable, Equatable {
        case queued
        case overflowed
        case closed
    }

    private struct State {
        var queue: [ByteBuffer] = []
        var pendingSnapshot: Int?
        var pendingBytes = 0
        var wakePending = false
        var isShut = false
        var hasOverflowed = false
        var wake: (@Sendable () -> Void)?
        var onOverflow: (@Sendable () -> Void)?
    }

    public let limitBytes: Int
    private let state: NIOLockedValueBox<State>

    public init(limitBytes: Int) {
        self.limitBytes = limitBytes
        self.state = NIOLockedValueBox(State())
    }

    /// Connects the consumer. `wake` runs (outside the lock) when messages become available.
    public func attach(wake: @escaping @Sendable () -> Void, onOverflow: @escaping @Sendable () -> Void) {
        let wakeNow = state.withLockedValue { state -> Bool in
            state.wake = wake
            state.onOverflow = onOverflow
            guard !state.queue.isEmpty, !state.wakePending else { return false }
            state.wakePending = true
            return true
        }
        if wakeNow { wake() }
    }

    /// Bytes queued or being written, not yet reported written.
    public var pendingBytes: Int { state.withLockedValue { $0.pendingBytes } }

    /// True once the limit was exceeded and the client is to be closed with 1008.
    public var hasOverflowed: Bool { state.withLockedValue { $0.hasOverflowed } }

    public var isShut: Bool { state.withLockedValue { $0.isShut } }

    @discardableResult
    public func enqueue(_ message: ByteBuffer, isSnapshot: Bool = false) -> EnqueueResult {
        enum Action { case none, wake(@Sendable () -> Void), overflow((@Sendable () -> Void)?) }
        let (result, action) = state.withLockedValue { state -> (EnqueueResult, Action) in
            guard !state.isShut else { return (.closed, .none) }
            state.pendingBytes += message.readableBytes
            if state.pendingBytes > limitBytes {
                state.hasOverflowed = true
                let onOverflow = state.onOverflow
                Self.shut(&state)
                return (.overflowed, .overflow(onOverflow))
            }
            if isSnapshot {
                if let stale = state.pendingSnapshot {
                    state.pendingBytes -= state.queue.remove(at: stale).readableBytes
                }
                state.pendingSnapshot = state.queue.count
            }
            state.queue.append(message)
            guard !state.wakePending, let wake = state.wake else { return (.queued, .none) }
            state.wakePending = true
            return (.queued, .wake(wake))
        }
        switch action {
        case .none: break
        case .wake(let wake): wake()
        case .overflow(let onOverflow): onOverflow?()
        }
        return result
    }

    /// Everything queued so far, in order; the next enqueue wakes the consumer again.
    public func takeAll() -> [ByteBuffer] {
        take(maxBytes: .max)
    }

    /// The oldest messages, at least one and about `maxBytes` in all. While messages remain,
    /// enqueues do not wake the consumer: it has promised to come back (when its socket can
    /// take more). Once the queue is empty, the next enqueue wakes it again.
    public func take(maxBytes: Int) -> [ByteBuffer] {
        state.withLockedValue { state in
            var count = 0
            var bytes = 0
            while count < state.queue.count, count == 0 || bytes + state.queue[count].readableBytes <= maxBytes {
                bytes += state.queue[count].readableBytes
                count += 1
            }
            let taken = Array(state.queue[..<count])
            state.queue.removeFirst(count)
            if let snapshot = state.pendingSnapshot {
                state.pendingSnapshot = snapshot >= count ? snapshot - count : nil
            }
            state.wakePending = !state.queue.isEmpty
            return taken
        }
    }

    /// The consumer reports `bytes` handed to the socket.
    public func didWrite(bytes: Int) {
        state.withLockedValue { $0.pendingBytes -= bytes }
    }

    /// Stops accepting messages and drops the backlog. Returns true for the first caller only.
    @discardableResult
    public func shut() -> Bool {
        state.withLockedValue { state in
            guard !state.isShut else { return false }
            Self.shut(&state)
            return true
        }
    }

    private static func shut(_ state: inout State) {
        state.isShut = true
        state.queue.removeAll()
        state.pendingSnapshot = nil
        // Dropping the closures breaks the outbox <-> transport reference cycle.
        state.wake = nil
        state.onOverflow = nil
    }
}
