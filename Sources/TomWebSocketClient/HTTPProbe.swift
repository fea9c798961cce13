import NIOCore
import NIOHTTP1
import NIOPosix

/// One-shot plain HTTP/1.1 requests, for checking `/health`, `/metrics`, 404s and the like.
public enum HTTPProbe {
    /// Sends `method path` with `Connection: close` and returns the whole response.
    public static func get(
        host: String,
        port: Int,
        path: String = "/",
        method: String = "GET",
        headers: HeaderFields = HeaderFields(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maxBodyBytes: Int = 16 << 20,
        timeout: Duration = .seconds(10)
    ) async throws -> HTTPResponse {
        let target = try RequestTarget(host: host, port: port, path: path)
        guard !method.isEmpty, method.allSatisfy({ $0.isLetter || $0 == "-" }) else {
            throw WebSocketClientError.invalidArgument("method \"\(method)\"")
        }
        var requestHeaders = HTTPHeaders()
        if !headers.contains("Host") {
            requestHeaders.add(name: "Host", value: target.hostHeader)
        }
        requestHeaders.add(name: "Connection", value: "close")
        if !headers.contains("Content-Length") {
            requestHeaders.add(name: "Content-Length", value: "0")
        }
        for field in headers {
            requestHeaders.add(name: field.name, value: field.value)
        }
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: method.uppercased()), uri: target.path,
            headers: requestHeaders)
        let deadline = ContinuousClock.now + timeout

        let (channel, response) = try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let collector = HTTPResponseCollector(eventLoop: channel.eventLoop, maxBodyBytes: maxBodyBytes)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                    return (channel, collector.response)
                }
            }
        let timeoutTask = channel.eventLoop.scheduleTask(deadline: .now() + TimeAmount(timeout)) {
            channel.close(promise: nil)
        }
        defer {
            timeoutTask.cancel()
            channel.close(promise: nil)
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            return try await response.get()
        } catch {
            throw ContinuousClock.now >= deadline ? WebSocketClientError.requestTimedOut : error
        }
    }
}
