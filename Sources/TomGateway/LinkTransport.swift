/// The sending side of one WebSocket carrying a gateway link, whichever side dialled.
/// Incoming frames are passed separately, as a sequence the link's own task reads.
public struct LinkTransport: Sendable {
    public var send: @Sendable ([UInt8]) async throws -> Void
    public var close: @Sendable () async -> Void
    /// For logs: where the other end is.
    public var remote: String

    public init(
        send: @escaping @Sendable ([UInt8]) async throws -> Void,
        close: @escaping @Sendable () async -> Void,
        remote: String
    ) {
        self.send = send
        self.close = close
        self.remote = remote
    }
}
