import Glibc
import NIOPosix
import TomDHT

/// Turns `host:port` texts (bootstrap routers, CLI arguments) into DHT endpoints.
public enum BootstrapResolver {
    /// One name that could not be used, with the reason, for a clear log line.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public var endpoint: String
        public var reason: String
        public var description: String { "\(endpoint): \(reason)" }
    }

    /// The entries of a comma-separated `--bootstrap` list, trimmed, empty ones dropped.
    public static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
    }

    /// Splits "host:port", "[v6]:port" or "a.b.c.d:port".
    public static func split(_ endpoint: String) -> (host: String, port: UInt16)? {
        let text = endpoint.trimmingCharacters(in: " \t")
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()), port != 0, !host.isEmpty else { return nil }
            return (host, port)
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, !host.contains(":"), let port = UInt16(text[text.index(after: colon)...]), port != 0 else {
            return nil
        }
        return (host, port)
    }

    /// A literal address needs no resolver; nil for a name.
    public static func literal(_ endpoint: String) -> DHTAddress? {
        guard let (host, port) = split(endpoint), let ip = IPAddress(host) else { return nil }
        return DHTAddress(ip: ip, port: port)
    }

    /// Resolves every endpoint (names through getaddrinfo on NIO's thread pool, so no event
    /// loop blocks), keeping the addresses of `families`. Names that fail are reported, not thrown.
    public static func resolve(
        _ endpoints: [String],
        families: Set<AddressFamily> = [.v4]
    ) async -> (addresses: [DHTAddress], failures: [Failure]) {
        var addresses: [DHTAddress] = []
        var failures: [Failure] = []
        for endpoint in endpoints {
            guard let (host, port) = split(endpoint) else {
                failures.append(Failure(endpoint: endpoint, reason: "not host:port"))
                continue
            }
            if let ip = IPAddress(host) {
                if families.contains(ip.family) {
                    addresses.append(DHTAddress(ip: ip, port: port))
                } else {
                    failures.append(Failure(endpoint: endpoint, reason: "address family not in use"))
                }
                continue
            }
            do {
                let found = try await NIOThreadPool.singleton.runIfActive {
                    try getaddrinfoSync(host: host, port: port, families: families)
                }
                if found.isEmpty {
                    failures.append(Failure(endpoint: endpoint, reason: "no address of a usable family"))
                }
                for address in found where !addresses.contains(address) { addresses.append(address) }
            } catch let failure as Failure {
                failures.append(Failure(endpoint: endpoint, reason: failure.reason))
            } catch {
                failures.append(Failure(endpoint: endpoint, reason: "\(error)"))
            }
        }
        return (addresses, failures)
    }

    private static func getaddrinfoSync(host: String, port: UInt16, families: Set<AddressFamily>) throws -> [DHTAddress] {
        var hints = addrinfo()
        hints.ai_family = families == [.v4] ? AF_INET : (families == [.v6] ? AF_INET6 : AF_UNSPEC)
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0 else {
            throw Failure(endpoint: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        var addresses: [DHTAddress] = []
        var cursor = result
        while let info = cursor {
            if let raw = info.pointee.ai_addr {
                switch Int32(raw.pointee.sa_family) {
                case AF_INET:
                    let sin = UnsafeRawPointer(raw).loadUnaligned(as: sockaddr_in.self)
                    let address = DHTAddress(ip: .v4(IPv4Address(UInt32(bigEndian: sin.sin_addr.s_addr))), port: port)
                    if families.contains(.v4), !addresses.contains(address) { addresses.append(address) }
                case AF_INET6:
                    let sin6 = UnsafeRawPointer(raw).loadUnaligned(as: sockaddr_in6.self)
                    let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
                    if families.contains(.v6), let v6 = IPv6Address(bytes: bytes) {
                        let address = DHTAddress(ip: .v6(v6), port: port)
                        if !addresses.contains(address) { addresses.append(address) }
                    }
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        return addresses
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let skip = Set(set)
        guard let start = firstIndex(where: { !skip.contains($0) }) else { return "" }
        let end = lastIndex(where: { !skip.contains($0) })!
        return String(self[start...end])
    }
}
