/// Checks and normalises what goes on the request line and in the `Host` header.
struct RequestTarget {
    let host: String
    let port: Int
    let path: String

    init(host: String, port: Int, path: String) throws {
        guard !host.isEmpty, !host.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            throw WebSocketClientError.invalidArgument("host \"\(host)\"")
        }
        guard (1...65535).contains(port) else {
            throw WebSocketClientError.invalidArgument("port \(port)")
        }
        guard !path.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            throw WebSocketClientError.invalidArgument("path \"\(path)\"")
        }
        self.host = host
        self.port = port
        self.path = path.hasPrefix("/") ? path : "/" + path
    }

    /// `Host` header value; IPv6 literals need brackets.
    var hostHeader: String {
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return port == 80 ? bracketed : "\(bracketed):\(port)"
    }
}
