import NIOCore
import TomWebSocketClient

/// One relay client on its event loop: the receiving side of its connection (every message
/// is handed to its `RelayLoop` as it arrives) and the state of its own sending window.
final class RelayClient: WebSocketMessageHandler {
    let identity: LoadIdentity
    let connection: WebSocketConnection
    /// Its position in the run's peer list: a sender never picks itself as a target.
    var position = -1
    var template: SignalTemplate

    /// Signals this client has sent, and how many of them came back (delivered somewhere,
    /// or refused by the server): at most `window` may be outstanding.
    var sent = 0
    var returned = 0
    /// Done sending, with every signal accounted for (or given up after a failure).
    var isFinished = false
    /// Queued on the loop's list of senders to look at in the next tick.
    var isScheduled = false
    /// Saw a participants list naming every client.
    var hasConverged = false
    var isConnected = true

    private unowned let loop: RelayLoop

    init(identity: LoadIdentity, connection: WebSocketConnection, loop: RelayLoop, template: SignalTemplate) {
        self.identity = identity
        self.connection = connection
        self.loop = loop
        self.template = template
    }

    func outstanding() -> Int { sent - returned }

    func webSocketReceived(_ payload: ByteBuffer, isText: Bool) {
        loop.received(payload, by: self)
    }

    func webSocketEnded(_ closed: WebSocketEvent, error: (any Error)?) {
        isConnected = false
        loop.ended(self)
    }
}
