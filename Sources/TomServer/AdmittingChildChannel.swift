import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Wraps the HTTP/WebSocket child channel with admission control: a connection over a cap is
/// answered `503` before any upgrade, and a served connection holds its slot until it closes.
struct AdmittingChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    enum Value: ServerChildChannelValue {
        case admitted(Inner.Value)
        case refused(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, ConnectionAdmission.Refusal)

        var channel: any Channel {
            switch self {
            case .admitted(let value): value.channel
            case .refused(let asyncChannel, _): asyncChannel.channel
            }
        }
    }

    let inner: Inner
    let admission: ConnectionAdmission
    /// A connection we have answered nothing by then is closed (`RequestHeadDeadline`).
    let requestHeadTimeout: TimeAmount
    let onRefusal: @Sendable (ConnectionAdmission.Refusal) -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(RequestHeadDeadline(timeout: requestHeadTimeout), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        switch admission.admit(channel.remoteAddress) {
        case .success(let slot):
            // Held until the connection closes: a WebSocket served by channel handlers
            // outlives `handle`.
            channel.closeFuture.whenComplete { _ in admission.release(slot) }
            return inner.setup(channel: channel, logger: logger).map { .admitted($0) }
        case .failure(let refusal):
            onRefusal(refusal.reason)
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                let asyncChannel = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                    wrappingChannelSynchronously: channel
                )
                return .refused(asyncChannel, refusal.reason)
            }
        }
    }

    func handle(value: Value, logger: Logger) async {
        switch value {
        case .admitted(let innerValue):
            await inner.handle(value: innerValue, logger: logger)
        case .refused(let asyncChannel, let reason):
            await Self.respondUnavailable(asyncChannel, reason: reason, logger: logger)
        }
    }

    /// Reads the request head (so the client is not reset mid-send) and answers 503.
    private static func respondUnavailable(
        _ asyncChannel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
        reason: ConnectionAdmission.Refusal,
        logger: Logger
    ) async {
        do {
            try await asyncChannel.executeThenClose { inbound, outbound in
                var requests = inbound.makeAsyncIterator()
                guard case .head(let request) = try await requests.next() else { return }
                var body = ByteBuffer()
                body.writeString(#"{"error":"\#(reason.rawValue)"}"#)
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: "application/json; charset=utf-8")
                headers.add(name: "content-length", value: String(body.readableBytes))
                headers.add(name: "connection", value: "close")
                headers.add(name: "retry-after", value: "5")
                let head = HTTPResponseHead(version: request.version, status: .serviceUnavailable, headers: headers)
                try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(body)), .end(nil)])
            }
        } catch {
            logger.debug("refused connection ended early", metadata: ["error": "\(error)"])
        }
    }
}
