import NIOConcurrencyHelpers
import NIOCore

/// Decides, at accept time, whether a TCP connection may be served, and counts those that are.
///
/// The decision must be synchronous on the accepting event loop, so the counters sit behind a
/// single lock here rather than in an actor (NIO's; see `Outbox` for why not `Mutex`).
public final class ConnectionAdmission: Sendable {
    public enum Refusal: String, Sendable {
        case serverFull = "server full"
        case tooManyFromAddress = "too many connections from this address"
        case shuttingDown = "server shutting down"
    }

    private struct State {
        var total = 0
        var perAddress: [String: Int] = [:]
        var draining = false
    }

    private let maxConnections: Int
    private let maxPerAddress: Int
    private let limitLoopback: Bool
    private let state = NIOLockedValueBox(State())

    public init(maxConnections: Int, maxPerAddress: Int, limitLoopback: Bool) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
        self.limitLoopback = limitLoopback
    }

    /// Reserves a slot for a connection from `address`; call `release` with the returned key
    /// when the connection ends.
    public func admit(_ address: SocketAddress?) -> Result<String, RefusalError> {
        let key = address?.ipAddress ?? "unknown"
        let capped = limitLoopback || !(address.map(Self.isLoopback) ?? false)
        return state.withLockedValue { state in
            if state.draining { return .failure(RefusalError(reason: .shuttingDown)) }
            if state.total >= maxConnections { return .failure(RefusalError(reason: .serverFull)) }
            let fromAddress = state.perAddress[key, default: 0]
            if capped && fromAddress >= maxPerAddress {
                return .failure(RefusalError(reason: .tooManyFromAddress))
            }
            state.total += 1
            state.perAddress[key] = fromAddress + 1
            return .success(key)
        }
    }

    public func release(_ key: String) {
        state.withLockedValue { state in
            state.total -= 1
            let remaining = state.perAddress[key, default: 1] - 1
            state.perAddress[key] = remaining > 0 ? remaining : nil
        }
    }

    /// Refuses every new connection from now on (shutdown in progress).
    public func startDraining() {
        state.withLockedValue { $0.draining = true }
    }

    public var openConnections: Int {
        state.withLockedValue { $0.total }
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}

public struct RefusalError: Error, Sendable {
    public let reason: ConnectionAdmission.Refusal
}
