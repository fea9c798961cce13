import TomSignaling

/// What one legacy connection may send: messages of any kind at `ServerSettings.messageRate`,
/// their bytes at `ServerSettings.byteRate` (so a client cannot fill another's queue with
/// large signals while within the message rate), and registers (each one a presence to everyone and a participants list to everyone) at
/// `ServerSettings.registerRate` as well. A connection over either is closed with 1008: a
/// client of the legacy SDK sends a heartbeat every 5 s, a register per connection and a
/// few dozen signals per WebRTC session, so only a broken or hostile one gets there.
struct MessageRateLimiter {
    enum Violation: Sendable {
        case messageRate
        case byteRate
        case registerRate

        /// The `tom_errors_total` kind.
        var metricKind: String {
            switch self {
            case .messageRate: "message_rate"
            case .byteRate: "byte_rate"
            case .registerRate: "register_rate"
            }
        }

        /// The close frame's reason.
        var closeReason: String {
            switch self {
            case .messageRate: "message rate limit exceeded"
            case .byteRate: "byte rate limit exceeded"
            case .registerRate: "register rate limit exceeded"
            }
        }
    }

    private var messages: TokenBucket
    private var bytes: TokenBucket
    private var registers: TokenBucket

    init(messageRate: RateLimit, byteRate: RateLimit, registerRate: RateLimit) {
        messages = TokenBucket(messageRate)
        bytes = TokenBucket(byteRate)
        registers = TokenBucket(registerRate)
    }

    /// Charged for every message, before it is decoded, so a flood costs no parsing.
    mutating func admitMessage(size: Int, now: ContinuousClock.Instant) -> Violation? {
        guard messages.take(now: now) else { return .messageRate }
        return bytes.take(cost: size, now: now) ? nil : .byteRate
    }

    /// Charged once more for a decoded register.
    mutating func admit(_ request: LegacyRequest, now: ContinuousClock.Instant) -> Violation? {
        guard case .register = request else { return nil }
        return registers.take(now: now) ? nil : .registerRate
    }
}
