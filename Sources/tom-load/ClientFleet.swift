import NIOCore
import NIOPosix
import TomWebSocketClient

/// Opens many client connections with a bounded number of handshakes in flight, and closes them.
enum ClientFleet {
    struct ConnectReport {
        var connected = 0
        /// Failure description -> how many connections failed that way.
        var failures: [String: Int] = [:]
        /// The deadline passed before every connection was attempted.
        var stoppedByDeadline = false
        var elapsed: Duration = .zero

        var failureCount: Int { failures.values.reduce(0, +) }

        /// The most common failure, for the summary line.
        var topFailure: String? {
            failures.max(by: { $0.value < $1.value }).map { "\($0.value)x \($0.key)" }
        }
    }

    /// Frames up to 64 MiB: a participants list for 10,000 clients is already over 1 MiB.
    static let maxFrameSize = 64 << 20

    /// Connects `count` clients. `afterConnect` runs inside the connection slot (e.g. to register
    /// at once); `onConnected` runs in the caller's task, in completion order.
    static func connect(
        count: Int,
        concurrency: Int,
        target: ServerTarget,
        deadline: ContinuousClock.Instant,
        counters: LoadCounters,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        afterConnect: @escaping @Sendable (WebSocketConnection, LoadIdentity) async throws -> Void = { _, _ in },
        onConnected: (LoadIdentity, WebSocketConnection) -> Void
    ) async -> ConnectReport {
        var report = ConnectReport()
        let start = ContinuousClock.now
        await withTaskGroup(of: (LoadIdentity, Result<WebSocketConnection, any Error>).self) { group in
            var nextIndex = 0
            while nextIndex < min(concurrency, count) {
                addConnectTask(
                    to: &group, index: nextIndex, target: target, deadline: deadline,
                    eventLoopGroup: eventLoopGroup, afterConnect: afterConnect)
                nextIndex += 1
            }
            for await (identity, result) in group {
                switch result {
                case .success(let connection):
                    report.connected += 1
                    counters.connected.bump()
                    counters.open.bump()
                    onConnected(identity, connection)
                case .failure(let error):
                    report.failures[String(String(describing: error).prefix(160)), default: 0] += 1
                    counters.connectFailures.bump()
                }
                guard nextIndex < count else { continue }
                if ContinuousClock.now < deadline {
                    addConnectTask(
                        to: &group, index: nextIndex, target: target, deadline: deadline,
                        eventLoopGroup: eventLoopGroup, afterConnect: afterConnect)
                    nextIndex += 1
                } else {
                    report.stoppedByDeadline = true
                }
            }
        }
        report.elapsed = start.duration(to: .now)
        return report
    }

    private static func addConnectTask(
        to group: inout TaskGroup<(LoadIdentity, Result<WebSocketConnection, any Error>)>,
        index: Int,
        target: ServerTarget,
        deadline: ContinuousClock.Instant,
        eventLoopGroup: any EventLoopGroup,
        afterConnect: @escaping @Sendable (WebSocketConnection, LoadIdentity) async throws -> Void
    ) {
        let identity = LoadIdentity(index: index)
        let remaining = ContinuousClock.now.duration(to: deadline)
        let handshakeTimeout = min(.seconds(10), max(remaining, .milliseconds(500)))
        group.addTask {
            do {
                let connection = try await WebSocketClient.connect(
                    host: target.host, port: target.port, path: target.path, eventLoopGroup: eventLoopGroup,
                    maxFrameSize: maxFrameSize, handshakeTimeout: handshakeTimeout)
                try await afterConnect(connection, identity)
                return (identity, .success(connection))
            } catch {
                return (identity, .failure(error))
            }
        }
    }

    /// Closes every connection: with a close handshake, or (after a timeout) by dropping TCP,
    /// which also fails writes stuck behind a server that stopped reading.
    static func closeAll(_ connections: [WebSocketConnection], graceful: Bool) async {
        await withTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask {
                    if graceful {
                        try? await connection.close(code: .normalClosure)
                    } else {
                        await connection.abort()
                    }
                }
            }
        }
    }

    /// Sends one text message on each connection, all at once; returns how many sends succeeded.
    static func sendToEach(_ messages: [(WebSocketConnection, String)]) async -> Int {
        await withTaskGroup(of: Bool.self) { group in
            for (connection, text) in messages {
                group.addTask {
                    (try? await connection.send(text: text)) != nil
                }
            }
            var succeeded = 0
            for await ok in group where ok {
                succeeded += 1
            }
            return succeeded
        }
    }
}

/// Polls `condition` until it holds (true) or `deadline` passes (false).
func waitUntil(
    _ deadline: ContinuousClock.Instant, pollEvery interval: Duration = .milliseconds(5), _ condition: () -> Bool
) async -> Bool {
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: interval)
    }
    return true
}

/// Waits for the first element of `stream`, or until `deadline`; true if an element came.
func first(of stream: AsyncStream<Void>, before deadline: ContinuousClock.Instant) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await _ in stream {
                return true
            }
            return false
        }
        group.addTask {
            try? await Task.sleep(until: deadline)
            return false
        }
        let result = await group.next() ?? false
        group.cancelAll()
        return result
    }
}
