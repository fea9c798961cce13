/// `ws://host:port` as the harness takes it on the command line (a path after it is ignored:
/// the legacy server accepts WebSockets on any path).
struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    let host: String
    let port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init(url: String) throws {
        guard url.hasPrefix("ws://") else { throw HarnessError("'\(url)' must look like ws://host:port") }
        var rest = Substring(url.dropFirst(5))
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) { rest = rest[..<slash] }
        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw HarnessError("'\(url)': unclosed [ in the host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw HarnessError("'\(url)': unexpected text after the host")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw HarnessError("'\(url)' has no host") }
        let port = portText.map { Int($0) } ?? 80
        guard let port, (1...65535).contains(port) else { throw HarnessError("'\(url)' has no valid port") }
        self.host = String(host)
        self.port = port
    }

    var description: String {
        host.contains(":") ? "ws://[\(host)]:\(port)" : "ws://\(host):\(port)"
    }

    /// `host:port`, as tom-node's --gateway wants it.
    var hostPort: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
