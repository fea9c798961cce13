/// Applying the per-IP rate limit (`QueryRateLimiter`) to what arrives.
///
/// Only unsolicited datagrams are charged: queries, garbage, and answers to no query of
/// ours. Answers to our own queries are bounded by what we ask, so a node we use heavily is
/// never banned for answering.
extension DHTNode {
    /// Whether everything from `source` is dropped unread: it is banned.
    mutating func isIgnoring(_ source: DHTAddress, now: DHTTime) -> Bool {
        guard rateLimiter.dropsBanned(source.ip, now: now) else { return false }
        statistics.datagramsRateLimited += 1
        return true
    }

    /// Whether `message` answers a query of ours in flight to `source` (the test
    /// `handleReply` applies before accepting it).
    func isSolicited(_ message: KRPCMessage, from source: DHTAddress) -> Bool {
        guard let transaction = Self.transactionNumber(message.transactionID) else { return false }
        return pendingQueries[transaction]?.destination == source
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
