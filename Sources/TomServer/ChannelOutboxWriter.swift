import NIOCore
import NIOWebSocket
import TomSignaling

/// Moves a client's outbox into its channel on the channel's event loop, as text frames
/// under one flush per batch, and only while the socket can take more.
///
/// Data frames are written straight into the pipeline, with no async stream, actor or async
/// writer per message. While the channel is not writable, messages stay in the outbox, where
/// a newer participants list can still replace an older one; `LegacyMessageHandler` resumes
/// the drain when the socket drains. Written bytes are reported back when the socket write
/// completes, so the outbox limit bounds all that the process holds for that client.
struct ChannelOutboxWriter: Sendable {
    /// About one channel high-water mark per batch.
    static let batchBytes = 64 * 1024

    let outbox: Outbox
    let channel: any Channel

    func drain() {
        guard channel.isActive else {
            outbox.didWrite(bytes: outbox.takeAll().reduce(0) { $0 + $1.readableBytes })
            return
        }
        while channel.isWritable {
            let batch = outbox.take(maxBytes: Self.batchBytes)
            guard !batch.isEmpty else { return }
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
}
