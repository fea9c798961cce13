import Bencode

/// `announce_signed_peer` (draft BEP): store `peer` for `infoHash`, with the write token a
/// `get_signed_peers` (or `get_peers`) answer gave us.
public struct AnnounceSignedPeerArguments: Hashable, Sendable {
    public var infoHash: NodeID
    public var token: [UInt8]
    /// `k`, `t` and `sig` of the query.
    public var peer: SignedPeer

    public init(infoHash: NodeID, token: [UInt8], peer: SignedPeer) {
        self.infoHash = infoHash
        self.token = token
        self.peer = peer
    }
}

extension AnnounceSignedPeerArguments {
    /// Reads the `a` dictionary of an `announce_signed_peer`. Every key is required and
    /// exact: a 32-byte `k`, a 64-byte `sig` and a non-negative integer `t`.
    init(decoding arguments: KRPCFieldReader) throws(KRPCDecodingError.Reason) {
        let timestamp = try arguments.requiredInteger("t")
        guard timestamp >= 0 else { throw .invalidValue(arguments.name("t")) }
        self.init(
            infoHash: try arguments.requiredNodeID("info_hash"),
            token: try arguments.requiredBytes("token"),
            peer: SignedPeer(
                publicKey: try arguments.requiredBytes("k", exactLength: Ed25519Sizes.publicKey),
                timestamp: timestamp,
                signature: try arguments.requiredBytes("sig", exactLength: Ed25519Sizes.signature)
            )
        )
    }

    /// The `a` entries besides `id`.
    var argumentEntries: [(String, BencodeValue)] {
        [
            ("info_hash", .bytes(infoHash.bytes)),
            ("token", .bytes(token)),
            ("k", .bytes(peer.publicKey)),
            ("t", .integer(peer.timestamp)),
            ("sig", .bytes(peer.signature)),
        ]
    }
}

extension KRPCFieldReader {
    func requiredBytes(_ key: String, exactLength: Int) throws(Reason) -> [UInt8] {
        guard let bytes = try bytes(key, exactLength: exactLength) else { throw .missingKey(name(key)) }
        return bytes
    }

    /// The `peers` of a `get_signed_peers` answer: a list of 104-byte records, at most
    /// `maxCount`. Records are only decoded here; whoever asked verifies their signatures.
    func signedPeers(_ key: String, maxCount: Int) throws(Reason) -> [SignedPeer]? {
        guard let list = try list(key) else { return nil }
        guard list.underestimatedCount <= maxCount else { throw .tooManyEntries(name(key)) }
        var peers: [SignedPeer] = []
        peers.reserveCapacity(list.underestimatedCount)
        for element in list {
            guard let bytes = document.bytes(element) else { throw .wrongType(name(key)) }
            guard bytes.count == SignedPeer.compactLength else { throw .invalidLength(name(key)) }
            guard let peer = SignedPeer(compact: bytes) else { throw .invalidValue(name(key)) }
            peers.append(peer)
        }
        return peers
    }
}
