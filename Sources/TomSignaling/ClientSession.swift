import NIOCore

/// One connected legacy client as the hub sees it: an identity for bookkeeping and a queue
/// to send through. Which nodeId it registered is the hub's state, not the session's.
public final class ClientSession: Sendable, Hashable, CustomStringConvertible {
    public let id: UInt64
    public let remoteAddress: String
    public let outbox: Outbox

    public init(id: UInt64, remoteAddress: String, outbox: Outbox) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.outbox = outbox
    }

    @discardableResult
    public func send(_ message: ByteBuffer, isSnapshot: Bool = false) -> Outbox.EnqueueResult {
        outbox.enqueue(message, isSnapshot: isSnapshot)
    }

    /// Answers this client with one of the legacy error messages.
    public func reply(_ error: LegacyError, metrics: SignalingMetrics) {
        let message = LegacyWire.error(error)
        send(message)
        metrics.countOut(type: "error", messages: 1, bytes: message.readableBytes)
        metrics.countError(error.metricName)
    }

    public var description: String { "conn-\(id)" }

    public static func == (lhs: ClientSession, rhs: ClientSession) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
