import TomWebSocketClient

extension ConformanceCase {
    static let httpCases: [ConformanceCase] = [
        ConformanceCase("http: GET /health -> 200 {\"ok\":true}") { try await http($0, "GET", "/health", 200, #"{"ok":true}"#) },
        ConformanceCase("http: GET /health?x=1 -> 200 (query ignored)") { try await http($0, "GET", "/health?x=1", 200, #"{"ok":true}"#) },
        ConformanceCase("http: GET /nope -> 404 {\"error\":\"not found\"}") { try await http($0, "GET", "/nope", 404, #"{"error":"not found"}"#) },
        ConformanceCase("http: POST / -> 404 {\"error\":\"not found\"}") { try await http($0, "POST", "/", 404, #"{"error":"not found"}"#) },
        ConformanceCase("http: GET / without upgrade -> 404") { try await http($0, "GET", "/", 404, #"{"error":"not found"}"#) },
    ]

    static let transportCases: [ConformanceCase] = [
        ConformanceCase("ws: upgrade accepted at /") { c in
            let a = try await c.client("a")
            try await a.sentinel(after: "connect at /")
        },
        ConformanceCase("ws: upgrade accepted at /some/path?q=1") { c in
            let a = try await c.client("a", path: "/some/path?q=1")
            try await a.register()
            try await a.sentinel(after: "connect at /some/path?q=1")
        },
        ConformanceCase("ws: subprotocol 'foo, bar' -> 'foo' echoed") { c in
            let a = try await c.client("a", subprotocols: ["foo", "bar"])
            try check(a.link.connection.subprotocol == "foo", "negotiated subprotocol \(a.link.connection.subprotocol ?? "none"), expected foo")
            try await a.sentinel(after: "subprotocol connect")
        },
    ]

    private static func http(_ c: CaseContext, _ method: String, _ path: String, _ status: Int, _ body: String) async throws {
        let response: HTTPResponse
        do {
            response = try await HTTPProbe.get(
                host: c.settings.server.host, port: c.settings.server.port, path: path, method: method, timeout: c.timeout)
        } catch {
            throw CaseFailure("\(method) \(path): \(error)")
        }
        try check(response.status == status, "\(method) \(path): status \(response.status), expected \(status)")
        let contentType = response.headers.first("content-type")
        try check(
            contentType?.lowercased() == "application/json; charset=utf-8",
            "\(method) \(path): content-type \(contentType ?? "none"), expected application/json; charset=utf-8")
        try check(response.bodyText == body, "\(method) \(path): body \(response.bodyText), expected \(body)")
    }
}
