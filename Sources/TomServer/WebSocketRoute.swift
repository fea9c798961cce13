/// A WebSocket served on a path of its own instead of the legacy protocol (the gateway-link
/// endpoint). The handler reads `frames` in its own task and sends through `socket`.
public typealias WebSocketRouteHandler = @Sendable (
    _ frames: any AsyncSequence<[UInt8], any Error>,
    _ socket: RoutedWebSocket
) async -> Void

public struct RoutedWebSocket: Sendable {
    public let remoteAddress: String
    /// Sends one binary message.
    public let send: @Sendable ([UInt8]) async throws -> Void
    /// Closes with 1000.
    public let close: @Sendable () async -> Void
}
