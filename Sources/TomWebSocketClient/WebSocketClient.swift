import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens client WebSocket connections (plain `ws://`, no TLS).
public enum WebSocketClient {
    /// Connects to `ws://host:port/path`, performs the RFC 6455 upgrade and returns the open connection.
    ///
    /// - Parameters:
    ///   - subprotocols: offered in `Sec-WebSocket-Protocol`; the server's pick is `connection.subprotocol`.
    ///   - headers: extra request headers (a `Host` given here replaces the default one).
    ///   - maxFrameSize: largest frame, and largest reassembled message, accepted from the server;
    ///     anything bigger makes the client close with 1009.
    ///   - handshakeTimeout: bound on TCP connect plus the whole upgrade exchange.
    /// - Throws: `WebSocketClientError.upgradeRejected` (with status, headers and body) when the
    ///   server answers with anything but `101`; `.invalidHandshake` for a bad `101`;
    ///   `.handshakeTimedOut`; or the underlying connect error (e.g. connection refused).
    public static func connect(
        host: String,
        port: Int,
        path: String = "/",
        subprotocols: [String] = [],
        headers: HeaderFields = HeaderFields(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maxFrameSize: Int = 1 << 24,
        handshakeTimeout: Duration = .seconds(10)
    ) async throws -> WebSocketConnection {
        let target = try RequestTarget(host: host, port: port, path: path)
        guard (1...Int(UInt32.max)).contains(maxFrameSize) else {
            throw WebSocketClientError.invalidArgument("maxFrameSize \(maxFrameSize)")
        }
        let requestHead = upgradeRequestHead(target: target, subprotocols: subprotocols, extraHeaders: headers)
        let deadline = ContinuousClock.now + handshakeTimeout

        let handshake: EventLoopFuture<HandshakeResult>
        do {
            handshake = try await ClientBootstrap(group: eventLoopGroup)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connectTimeout(TimeAmount(handshakeTimeout))
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try WebSocketHandshake.configure(
                            channel: channel, requestHead: requestHead,
                            maxFrameSize: maxFrameSize, timeout: TimeAmount(handshakeTimeout))
                    }
                }
        } catch let error as ChannelError where error == .connectTimeout(TimeAmount(handshakeTimeout)) {
            throw WebSocketClientError.handshakeTimedOut
        }

        let result: HandshakeResult
        do {
            result = try await handshake.get()
        } catch {
            throw ContinuousClock.now >= deadline ? WebSocketClientError.handshakeTimedOut : describe(error)
        }

        switch result {
        case .rejected(let response):
            throw WebSocketClientError.upgradeRejected(
                status: response.status, headers: response.headers, body: response.bodyText)
        case .upgraded(let channel, let responseHead, let handler):
            let responseHeaders = HeaderFields(responseHead.headers)
            if let chosen = responseHeaders.first("Sec-WebSocket-Protocol"), !subprotocols.contains(chosen) {
                try? await channel.close()
                throw WebSocketClientError.invalidHandshake("server chose subprotocol \"\(chosen)\" that was not offered")
            }
            return WebSocketConnection(channel: channel, handler: handler, responseHeaders: responseHeaders)
        }
    }

    private static func upgradeRequestHead(
        target: RequestTarget, subprotocols: [String], extraHeaders: HeaderFields
    ) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        if !extraHeaders.contains("Host") {
            headers.add(name: "Host", value: target.hostHeader)
        }
        // Without it NIO would frame the (empty) request body as chunked.
        headers.add(name: "Content-Length", value: "0")
        if !subprotocols.isEmpty {
            headers.add(name: "Sec-WebSocket-Protocol", value: subprotocols.joined(separator: ", "))
        }
        for field in extraHeaders {
            headers.add(name: field.name, value: field.value)
        }
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
    }

    /// Turns NIO's upgrade errors into ones a test failure message can explain.
    private static func describe(_ error: any Error) -> any Error {
        guard let upgradeError = error as? NIOHTTPClientUpgradeError else { return error }
        switch upgradeError {
        case .upgraderDeniedUpgrade:
            return WebSocketClientError.invalidHandshake("101 response with a missing or wrong Sec-WebSocket-Accept")
        case .responseProtocolNotFound:
            return WebSocketClientError.invalidHandshake("101 response without Upgrade: websocket")
        case .invalidHTTPOrdering:
            return WebSocketClientError.invalidHandshake("malformed HTTP response")
        default:
            return WebSocketClientError.invalidHandshake("\(upgradeError)")
        }
    }
}
