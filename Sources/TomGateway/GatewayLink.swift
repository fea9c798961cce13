import NIOCore
import TomSignaling

/// An authenticated link to another gateway, as the hub sees it: the peer's proven key and a
/// bounded queue that the link's transport drains. Sending never waits, so a slow gateway
/// never stalls the hub; one that falls too far behind is cut (`Outbox` overflow).
public final class GatewayLink: Sendable, CustomStringConvertible {
    public let key: GatewayKey
    /// Whether this side opened the connection; settles which of two crossing links stays.
    public let weInitiated: Bool
    public let outbox: Outbox
    private let closeTransport: @Sendable () -> Void

    public init(key: GatewayKey, weInitiated: Bool, outboxLimitBytes: Int, close: @escaping @Sendable () -> Void) {
        self.key = key
        self.weInitiated = weInitiated
        self.outbox = Outbox(limitBytes: outboxLimitBytes)
        self.closeTransport = close
    }

    @discardableResult
    public func send(_ message: LinkMessage) -> Bool {
        outbox.enqueue(ByteBuffer(bytes: message.encoded)) == .queued
    }

    public func close() {
        closeTransport()
    }

    public var description: String { "link(\(key), \(weInitiated ? "out" : "in"))" }
}
