/// Applying the per-IP rate limit (`QueryRateLimiter`) to what arrives.
///
/// Only unsolicited datagrams are charged: queries and garbage. Answers to our own queries
/// are bounded by what we ask, so a node we use heavily is never banned for answering.
extension DHTNode {
    /// Whether everything from `source` is dropped unread: it is banned.
    mutating func isIgnoring(_ source: DHTAddress, now: DHTTime) -> Bool {
        guard rateLimiter.isBanned(source.ip, now: now) else { return false }
        statistics.datagramsRateLimited += 1
        return true
    }

    /// Charges one unsolicited datagram; false when it must be dropped without an answer.
    mutating func admitsUnsolicited(from source: DHTAddress, now: DHTTime) -> Bool {
        switch rateLimiter.admit(source.ip, now: now) {
        case .allowed:
            return true
        case .banStarted:
            statistics.addressesBanned += 1
            statistics.datagramsRateLimited += 1
            return false
        case .banned:
            statistics.datagramsRateLimited += 1
            return false
        }
    }
}
