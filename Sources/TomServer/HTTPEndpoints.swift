import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// The plain-HTTP side of the port: `/health` exactly as the legacy server answered it,
/// `/status` and `/metrics` for operators, and the legacy JSON 404 for everything else.
struct HTTPEndpoints: Sendable {
    let registry: PrometheusCollectorRegistry
    let status: @Sendable () async -> NodeStatus

    static let jsonContentType = "application/json; charset=utf-8"

    func respond(to request: Request) async -> Response {
        guard request.method == .get else { return Self.notFound() }
        switch request.uri.path {
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

    static func notFound() -> Response {
        json(#"{"error":"not found"}"#, status: .notFound)
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: jsonContentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
