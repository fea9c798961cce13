import NIOCore
import NIOWebSocket
import TomSignaling

/// Moves a client's outbox into its channel on the channel's event loop: every message
/// queued since the last wake-up goes out as text frames under one flush.
///
/// Data frames are written straight into the pipeline, beside HummingbirdWebSocket's own
/// writer (which still sends pongs and close frames): per message, that saves the hops
/// through an async stream, the WebSocket handler actor and the async channel writer.
/// Written bytes are reported back when the socket write completes, so the outbox limit
/// bounds what the process holds for that client.
struct ChannelOutboxWriter: Sendable {
    let outbox: Outbox
    let channel: any Channel

    func attach(onOverflow: @escaping @Sendable () -> Void) {
        let writer = self
        let eventLoop = channel.eventLoop
        outbox.attach(wake: { eventLoop.execute { writer.drain() } }, onOverflow: onOverflow)
    }

    private func drain() {
        let batch = outbox.takeAll()
        guard !batch.isEmpty, channel.isActive else {
            outbox.didWrite(bytes: batch.reduce(0) { $0 + $1.readableBytes })
            return
        }
        var bytes = 0
        for (index, message) in batch.enumerated() {
            bytes += message.readableBytes
            let frame = WebSocketFrame(fin: true, opcode: .text, data: message)
            if index == batch.count - 1 {
                // Writes complete in order, so the last one's completion covers the batch.
                let promise = channel.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenComplete { [outbox, bytes] _ in outbox.didWrite(bytes: bytes) }
                channel.write(frame, promise: promise)
            } else {
                channel.write(frame, promise: nil)
            }
        }
        channel.flush()
    }
}
