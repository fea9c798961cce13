import Glibc
import NIOCore
import TomDHT

extension DHTAddress {
    /// The DHT form of a socket address; nil for Unix domain sockets. IPv4-mapped IPv6
    /// addresses (::ffff:a.b.c.d) become plain IPv4, as they are the same endpoint.
    public init?(_ socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            let sin = address.address
            self.init(ip: .v4(IPv4Address(UInt32(bigEndian: sin.sin_addr.s_addr))), port: UInt16(bigEndian: sin.sin_port))
        case .v6(let address):
            let sin6 = address.address
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            let port = UInt16(bigEndian: sin6.sin6_port)
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff,
               let v4 = IPv4Address(bytes: bytes[12..<16]) {
                self.init(ip: .v4(v4), port: port)
            } else if let v6 = IPv6Address(bytes: bytes) {
                self.init(ip: .v6(v6), port: port)
            } else {
                return nil
            }
        case .unixDomainSocket:
            return nil
        }
    }
}

extension SocketAddress {
    /// The socket address of a DHT endpoint, built without any text parsing.
    public init(_ address: DHTAddress) {
        switch address.ip {
        case .v4(let ip):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = address.port.bigEndian
            sin.sin_addr = in_addr(s_addr: ip.value.bigEndian)
            self.init(sin, host: "")
        case .v6(let ip):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = address.port.bigEndian
            let bytes = ip.bytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = bytes[index] }
            }
            self.init(sin6, host: "")
        }
    }
}
