import TomDHT

/// The draft "signed peers" BEP on a running node: peers named by an Ed25519 key.
extension DHTDriver {
    /// The signed peers of `infoHash`; every record in the result's `signedPeers` has a
    /// signature that holds for `infoHash`.
    public func getSignedPeers(_ infoHash: NodeID) async throws -> LookupResult {
        guard case .signedPeersFound(let result) = try await perform({ $0.getSignedPeers(infoHash, now: $1) }) else {
            throw DHTDriverError.unexpectedOutcome("get_signed_peers")
        }
        return result
    }

    /// Announces `key` as a peer of `infoHash`, signed with the wall clock when the lookup
    /// for the closest nodes ends.
    public func announceSignedPeer(_ infoHash: NodeID, key: ItemSigningKey) async throws -> StoreSummary {
        guard case .signedPeerAnnounced(let summary) = try await perform({ $0.announceSignedPeer(infoHash, key: key, now: $1) }) else {
            throw DHTDriverError.unexpectedOutcome("announce_signed_peer")
        }
        return summary
    }
}
