import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the peer address, which `/admin/...` checks.
struct EndpointContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Loopback peers only: the admin endpoints have no other authentication.
    var isFromLoopback: Bool {
        switch remoteAddress {
        case .v4(let address)?:
            return address.address.sin_addr.s_addr.bigEndian >> 24 == 127
        case .v6?:
            return remoteAddress?.ipAddress == "::1" || remoteAddress?.ipAddress?.hasPrefix("::ffff:127.") == true
        default:
            return false
        }
    }
}
