/// Where the server is, parsed from a `ws://host[:port][/path]` URL.
struct ServerTarget: Sendable {
    struct ParseError: Error {
        let reason: String
    }

    let host: String
    let port: Int
    let path: String

    init(url: String) throws {
        if url.hasPrefix("wss://") {
            throw ParseError(reason: "wss:// (TLS) is not supported; use ws://")
        }
        guard url.hasPrefix("ws://") else {
            throw ParseError(reason: "must start with ws://")
        }
        let rest = url.dropFirst("ws://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let pathPart = rest[authorityEnd...]
        self.path = pathPart.isEmpty ? "/" : (pathPart.hasPrefix("/") ? String(pathPart) : "/" + pathPart)

        var hostPart = Substring(authority)
        var portPart: Substring?
        if authority.hasPrefix("[") {
            // IPv6 literal: [::1]:3001
            guard let close = authority.firstIndex(of: "]") else {
                throw ParseError(reason: "unterminated IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let afterBracket = authority[authority.index(after: close)...]
            if afterBracket.hasPrefix(":") { portPart = afterBracket.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else {
            throw ParseError(reason: "missing host")
        }
        self.host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else {
                throw ParseError(reason: "invalid port \"\(portPart)\"")
            }
            self.port = port
        } else {
            self.port = 80
        }
    }
}
