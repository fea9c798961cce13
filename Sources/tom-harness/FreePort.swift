import Glibc

/// A port the kernel just handed out on 127.0.0.1 for `type` (TCP or UDP), released at once
/// for a child process to bind. Another process could take it in between; on loopback in a
/// test run that is rare enough, and the node then fails to start, which the harness reports.
enum FreePort {
    static func tcp() throws -> Int { try pick(type: Int32(SOCK_STREAM.rawValue)) }
    static func udp() throws -> Int { try pick(type: Int32(SOCK_DGRAM.rawValue)) }

    private static func pick(type: Int32) throws -> Int {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind() on 127.0.0.1 failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw HarnessError("getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
