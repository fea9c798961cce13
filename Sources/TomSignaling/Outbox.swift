import NIOCore
import Synchronization

/// A connection's bounded queue of outgoing messages.
///
/// Broadcasts enqueue without waiting, so one slow reader never delays anyone else; the
/// connection's own writer task drains the queue into its socket. When more than `limitBytes`
/// are waiting, the queue shuts and `onOverflow` runs once: the transport then closes that
/// client (1008) instead of letting its backlog grow without bound.
public final class Outbox: Sendable {
    public enum EnqueueResult: Sendable, Equatable {
        case queued
        case overflowed
        case closed
    }

    public let limitBytes: Int
    public let messages: AsyncStream<ByteBuffer>
    private let continuation: AsyncStream<ByteBuffer>.Continuation
    private let pending = Atomic<Int>(0)
    private let isShut = Atomic<Bool>(false)
    private let overflowed = Atomic<Bool>(false)
    private let onOverflow: @Sendable () -> Void

    public init(limitBytes: Int, onOverflow: @escaping @Sendable () -> Void) {
        self.limitBytes = limitBytes
        self.onOverflow = onOverflow
        (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .unbounded)
    }

    /// Bytes queued and not yet handed to the socket.
    public var pendingBytes: Int { pending.load(ordering: .relaxed) }

    @discardableResult
    public func enqueue(_ message: ByteBuffer) -> EnqueueResult {
        guard !isShut.load(ordering: .acquiring) else { return .closed }
        let size = message.readableBytes
        let total = pending.wrappingAdd(size, ordering: .relaxed).newValue
        if total > limitBytes {
            overflowed.store(true, ordering: .releasing)
            if shut() { onOverflow() }
            return .overflowed
        }
        if case .terminated = continuation.yield(message) {
            return .closed
        }
        return .queued
    }

    /// True once the limit was exceeded: the backlog is to be dropped and the client closed.
    public var hasOverflowed: Bool { overflowed.load(ordering: .acquiring) }

    /// The writer calls this once a message has been handed to the socket.
    public func didWrite(_ message: ByteBuffer) {
        pending.wrappingSubtract(message.readableBytes, ordering: .relaxed)
    }

    /// Ends the stream; later enqueues are dropped. Returns true for the first caller only.
    @discardableResult
    public func shut() -> Bool {
        let (exchanged, _) = isShut.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
        if exchanged { continuation.finish() }
        return exchanged
    }
}
