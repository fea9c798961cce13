import NIOCore

/// Receives a connection's messages synchronously on its event loop, instead of through
/// `WebSocketConnection.events`: for clients that handle tens of thousands of messages a
/// second and cannot afford a task hop, an event queue and a `String` per message.
/// Install one with `WebSocketConnection.deliverMessages(to:)`.
///
/// Every method runs on the connection's event loop and must not block it.
public protocol WebSocketMessageHandler: AnyObject {
    /// One complete message, fragments already reassembled. Unlike `.text` events, text
    /// messages are handed over as bytes, NOT checked for UTF-8: the handler reads what it needs.
    func webSocketReceived(_ payload: ByteBuffer, isText: Bool)

    /// The socket has no more data for now (NIO's `channelReadComplete`): a good moment to
    /// flush writes that the messages just handled have produced.
    func webSocketReadComplete()

    /// The connection is over; called exactly once, last. `closed` is the `.closed` event the
    /// stream would have ended with; `error` is set when the server broke the protocol
    /// (`WebSocketClientError.protocolViolation`), after which the client closed the connection.
    func webSocketEnded(_ closed: WebSocketEvent, error: (any Error)?)
}

extension WebSocketMessageHandler {
    public func webSocketReadComplete() {}
}
