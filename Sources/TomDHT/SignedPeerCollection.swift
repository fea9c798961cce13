/// The signed peers a `get_signed_peers` lookup gathers from its answers.
///
/// Nothing from the wire is trusted: a record enters only if its signature holds for the
/// lookup's info-hash, so a node cannot slip in records made for another hash or forged ones.
/// One record is kept per public key, the one with the newest timestamp. The timestamp is
/// not checked against our clock: stored records are legitimately up to 30 minutes old.
struct SignedPeerCollection: Sendable {
    private(set) var peers: [SignedPeer] = []
    private var indexByKey: [[UInt8]: Int] = [:]

    /// Adds the valid records of one answer, while fewer than `limit` keys are known.
    mutating func collect(_ received: [SignedPeer], infoHash: NodeID, limit: Int) {
        for peer in received {
            let known = indexByKey[peer.publicKey]
            // Neither a known key's older record nor a new key past the limit is worth a verification.
            if let known, peers[known].timestamp >= peer.timestamp { continue }
            if known == nil, peers.count >= limit { continue }
            guard peer.isValid(for: infoHash) else { continue }
            if let known {
                peers[known] = peer
            } else {
                indexByKey[peer.publicKey] = peers.count
                peers.append(peer)
            }
        }
    }
}
