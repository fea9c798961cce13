/// Where a gateway's link endpoint is: the host and HTTP port it announced.
struct GatewayEndpoint: Hashable, Sendable, CustomStringConvertible {
    static let linkPath = "/tom/link"

    var host: String
    var port: Int

    /// Parses `host:port` (IPv6 in brackets); nil for anything else.
    init?(_ text: String) {
        let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard let colon = trimmed.lastIndex(of: ":"), let port = Int(trimmed[trimmed.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(trimmed[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    /// Parses an advertised `ws://host:port[/path]` URL; nil for other schemes.
    init?(url: String) {
        guard url.hasPrefix("ws://") else { return nil }
        let authority = url.dropFirst("ws://".count).prefix { $0 != "/" }
        self.init(String(authority))
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
