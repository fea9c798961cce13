/// Client side of the draft "signed peers" BEP: peers named by an Ed25519 key instead of an
/// address. The storing side is in `DHTNode+Server` and `SignedPeerStore`.
extension DHTNode {
    /// Finds the signed peers of `infoHash`: a `get_signed_peers` lookup whose answers are
    /// verified record by record. Completes with `.signedPeersFound`; the records are in the
    /// result's `signedPeers`, one per key (the newest), every signature checked.
    @discardableResult
    public mutating func getSignedPeers(_ infoHash: NodeID, now: DHTTime) -> OperationID {
        startLookup(kind: .getSignedPeers, target: infoHash, lookupKind: .getSignedPeers, now: now)
    }

    /// Announces `key` as a peer of `infoHash` to the K closest nodes that support the
    /// draft: a `get_signed_peers` lookup collects their tokens, then each gets an
    /// `announce_signed_peer` signed at that moment with our `unixClock`. Completes with
    /// `.signedPeerAnnounced`.
    @discardableResult
    public mutating func announceSignedPeer(_ infoHash: NodeID, key: ItemSigningKey, now: DHTTime) -> OperationID {
        startLookup(kind: .announceSignedPeer(key), target: infoHash, lookupKind: .getSignedPeers, now: now)
    }

    /// Tells the node that the Unix time is `microsecondsSinceEpoch` at `now`. Announces are
    /// signed with, and incoming ones checked against, this clock; a driver calls it at start
    /// and now and then, so a stepped wall clock is followed.
    public mutating func setUnixTime(microsecondsSinceEpoch: Int64, now: DHTTime) {
        unixClock = UnixClock(microsecondsSinceEpoch: microsecondsSinceEpoch, at: now)
    }
}

extension DHTConfig {
    var signedPeerStoreSettings: SignedPeerStore.Settings {
        SignedPeerStore.Settings(
            lifetime: signedPeerLifetime,
            maxPeersPerInfoHash: maxSignedPeersPerInfoHash,
            maxPeersTotal: maxSignedPeersTotal,
            maxPeersPerResponse: maxSignedPeersPerResponse,
            timestampTolerance: signedPeerTimestampTolerance,
            maxPeersPerAddress: maxSignedPeersPerAddress,
            limitsLoopback: limitsLoopback
        )
    }
}
