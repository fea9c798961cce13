import Bencode

/// The return values of any query. A response does not name the query it answers, so
/// every field but the id is optional and the caller interprets them by transaction.
public struct KRPCResponse: Hashable, Sendable {
    public var senderID: NodeID
    /// `nodes`: IPv4 contacts. Entries of another family are left out when encoding.
    public var nodes: [NodeInfo]?
    /// `nodes6` (BEP 32): IPv6 contacts. Entries of another family are left out when encoding.
    public var nodes6: [NodeInfo]?
    /// `values`: peers for a `get_peers`, each as compact address info.
    public var values: [DHTAddress]?
    /// The write token for a later `announce_peer` or `put`.
    public var token: [UInt8]?
    /// BEP 44 `v`, exactly as sent and guaranteed canonical.
    public var value: CanonicalBencode?
    /// BEP 44 `k`.
    public var publicKey: [UInt8]?
    /// BEP 44 `sig`.
    public var signature: [UInt8]?
    /// BEP 44 `seq`.
    public var sequenceNumber: Int64?
    /// `peers` of a `get_signed_peers` answer (signed-peers draft BEP), as sent: unverified.
    public var signedPeers: [SignedPeer]?

    public init(
        senderID: NodeID,
        nodes: [NodeInfo]? = nil,
        nodes6: [NodeInfo]? = nil,
        values: [DHTAddress]? = nil,
        token: [UInt8]? = nil,
        value: CanonicalBencode? = nil,
        publicKey: [UInt8]? = nil,
        signature: [UInt8]? = nil,
        sequenceNumber: Int64? = nil,
        signedPeers: [SignedPeer]? = nil
    ) {
        self.senderID = senderID
        self.nodes = nodes
        self.nodes6 = nodes6
        self.values = values
        self.token = token
        self.value = value
        self.publicKey = publicKey
        self.signature = signature
        self.sequenceNumber = sequenceNumber
        self.signedPeers = signedPeers
    }
}
