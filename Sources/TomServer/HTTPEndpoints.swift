import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// The plain-HTTP side of the port: `/health` exactly as the legacy server answered it,
/// `/status` and `/metrics` for operators, `POST /admin/NAME` from loopback, and the legacy
/// JSON 404 for everything else.
struct HTTPEndpoints: Sendable {
    let registry: PrometheusCollectorRegistry
    let status: @Sendable () async -> NodeStatus
    let adminAction: @Sendable (String) -> SignalingServer.AdminAction?

    static let jsonContentType = "application/json; charset=utf-8"

    func respond(to request: Request, context: EndpointContext) async -> Response {
        let path = request.uri.path
        if request.method == .post, path.hasPrefix("/admin/") {
            return await admin(String(path.dropFirst("/admin/".count)), context: context)
        }
        guard request.method == .get else { return Self.notFound() }
        switch path {
        case "/health":
            return Self.json(#"{"ok":true}"#)
        case "/status":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(await status())).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return Self.json(body)
        case "/metrics":
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        default:
            return Self.notFound()
        }
    }

    private func admin(_ name: String, context: EndpointContext) async -> Response {
        guard context.isFromLoopback else {
            return Self.json(#"{"error":"admin endpoints answer loopback only"}"#, status: .forbidden)
        }
        guard let action = adminAction(name) else { return Self.notFound() }
        let result = await action()
        let escaped = result.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Self.json(#"{"ok":true,"result":"\#(escaped)"}"#)
    }

    static func notFound() -> Response {
        json(#"{"error":"not found"}"#, status: .notFound)
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: jsonContentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
