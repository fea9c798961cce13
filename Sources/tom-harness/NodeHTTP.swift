import TomWebSocketClient

/// The operator endpoints of a tom-node the migration uses: /health, /status, /admin/degrade.
enum NodeHTTP {
    /// Polls /health until it answers 200; false if it did not by `deadline`.
    static func waitHealthy(_ server: ServerAddress, until deadline: ContinuousClock.Instant) async -> Bool {
        while ContinuousClock.now < deadline {
            if let response = try? await HTTPProbe.get(host: server.host, port: server.port, path: "/health", timeout: .seconds(2)),
                response.status == 200
            {
                return true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// GET /status as JSON (nil when it fails or is not JSON).
    static func status(_ server: ServerAddress) async -> JSONValue? {
        guard let response = try? await HTTPProbe.get(host: server.host, port: server.port, path: "/status", timeout: .seconds(3)),
            response.status == 200
        else { return nil }
        return JSONValue.parse(response.bodyText)
    }

    /// Polls /status until `condition` holds; returns the last status seen and whether it held.
    static func waitStatus(
        _ server: ServerAddress, until deadline: ContinuousClock.Instant, _ condition: (JSONValue) -> Bool
    ) async -> (status: JSONValue?, held: Bool) {
        var last: JSONValue?
        while true {
            last = await status(server)
            if let last, condition(last) { return (last, true) }
            if ContinuousClock.now >= deadline { return (last, false) }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// POST /admin/degrade: status and body.
    static func degrade(_ server: ServerAddress) async throws -> HTTPResponse {
        try await HTTPProbe.get(host: server.host, port: server.port, path: "/admin/degrade", method: "POST", timeout: .seconds(10))
    }
}

extension JSONValue {
    var numberValue: Double? {
        guard case .number(let value) = self else { return nil }
        return value
    }
}
