import NIOCore

/// Closes a connection to which the server has written nothing within `timeout` of its
/// accept: it never completed a request head.
///
/// The HTTP/WebSocket upgrade pipeline has no timer of its own until a request head is
/// parsed (the 120 s idle timeout starts only then), and a head that fails to parse leaves
/// the negotiation pending with nothing sent. Without this deadline, a connection that
/// sends nothing, half a head or a garbage byte would hold its admission slot, and delay
/// a graceful shutdown, for as long as the client liked. Every honest exchange begins
/// with an answer from us (a response, the 101 of an upgrade, a 503), so the first write
/// disarms the deadline and the handler leaves the pipeline. A graceful shutdown (the
/// quiesce event) closes a connection still waiting at once: it has nothing to finish.
final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard deadline != nil else { return }
        deadline?.cancel()
        deadline = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
