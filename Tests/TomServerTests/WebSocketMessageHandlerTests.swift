import NIOCore
import Testing
import TomWebSocketClient

/// The client's lean path (used by tom-load relay) against a real server: messages handed to a
/// `WebSocketMessageHandler` on the event loop, frames written pre-encoded in one batch.
@Suite(.serialized, .timeLimit(.minutes(1))) struct WebSocketMessageHandlerTests {
    enum Seen: Equatable, Sendable {
        case message(String, isText: Bool)
        case ended(closeCode: UInt16?, failed: Bool)
    }

    /// Passes what the handler sees, on the event loop, to the test's task.
    final class Recorder: WebSocketMessageHandler {
        let sink: AsyncStream<Seen>.Continuation

        init(sink: AsyncStream<Seen>.Continuation) {
            self.sink = sink
        }

        func webSocketReceived(_ payload: ByteBuffer, isText: Bool) {
            sink.yield(.message(String(buffer: payload), isText: isText))
        }

        func webSocketEnded(_ closed: WebSocketEvent, error: (any Error)?) {
            sink.yield(.ended(closeCode: closed.closeCodeNumber, failed: error != nil))
            sink.finish()
        }
    }

    private func record(_ connection: WebSocketConnection) -> AsyncStream<Seen> {
        let (seen, sink) = AsyncStream.makeStream(of: Seen.self)
        connection.eventLoop.execute {
            connection.deliverMessages(to: Recorder(sink: sink))
        }
        return seen
    }

    @Test func queuedMessagesThenLiveOnesInOrderUntilTheEnd() async throws {
        try await TestServer.with { server in
            let a = try await server.connect()
            let b = try await server.connect()
            // The async receive first: a connection can switch to a handler at any point.
            try await a.register("a")
            #expect(try await a.next() == #"{"type":"participants","participants":[{"nodeId":"a","username":"user-a"}]}"#)
            try await b.register("b")
            // By now a's next messages are usually queued; queued or not, they come in order.
            _ = try await b.next(containing: #""nodeId":"b""#)

            var seen = record(a.connection).makeAsyncIterator()
            #expect(await seen.next() == .message(#"{"type":"presence","action":"join","nodeId":"b","username":"user-b","publicKey":"b"}"#, isText: true))
            #expect(await seen.next() == .message(#"{"type":"participants","participants":[{"nodeId":"a","username":"user-a"},{"nodeId":"b","username":"user-b"}]}"#, isText: true))

            let signal = #"{"type":"signal","from":"b","to":"a","data":{"sdp":"x"}}"#
            try await b.send(signal)
            #expect(await seen.next() == .message(signal, isText: true))

            // Meanwhile the async receive refuses to compete with the handler.
            await #expect(throws: WebSocketClientError.self) { _ = try await a.connection.next(timeout: .seconds(1)) }

            try await a.connection.close(code: .normalClosure)
            #expect(await seen.next() == .ended(closeCode: 1000, failed: false))
            #expect(await seen.next() == nil)
        }
    }

    @Test func preEncodedFramesGoOutInOneBatch() async throws {
        try await TestServer.with { server in
            let (a, b) = try await server.registeredPair()
            let signals = (0..<20).map { #"{"type":"signal","from":"a","to":"b","data":{"n":\#($0)}}"# }
            let connection = a.connection
            let written = try await connection.eventLoop.submit {
                var encoder = MaskedFrameEncoder()
                var frames = connection.allocator.buffer(capacity: 4096)
                for signal in signals {
                    encoder.appendTextFrame(Array(signal.utf8), to: &frames)
                }
                defer { connection.flushEncodedFrames() }
                return connection.writeEncodedFrames(frames)
            }.get()
            #expect(written)
            for signal in signals {
                #expect(try await b.next() == signal)
            }
        }
    }

    @Test func aHandlerInstalledAfterTheEndIsToldAtOnceAndWritesAreRefused() async throws {
        try await TestServer.with { server in
            let a = try await server.connect()
            try await a.connection.close(code: .normalClosure)
            var seen = record(a.connection).makeAsyncIterator()
            #expect(await seen.next() == .ended(closeCode: 1000, failed: false))
            let connection = a.connection
            let written = try await connection.eventLoop.submit {
                connection.writeEncodedFrames(connection.allocator.buffer(string: "ignored"))
            }.get()
            #expect(!written)
        }
    }
}
