import Bencode

/// A KRPC query: the sender's id and a method with its arguments.
public struct KRPCQuery: Hashable, Sendable {
    public var senderID: NodeID
    public var method: Method

    public init(senderID: NodeID, method: Method) {
        self.senderID = senderID
        self.method = method
    }

    public enum Method: Hashable, Sendable {
        case ping
        case findNode(FindNodeArguments)
        case getPeers(GetPeersArguments)
        case announcePeer(AnnouncePeerArguments)
        /// BEP 44 item lookup.
        case get(GetItemArguments)
        /// BEP 44 item store.
        case put(PutItemArguments)
        /// Signed peers (draft BEP): the records stored for an info-hash, with a token and
        /// the closest nodes. Its arguments are those of `get_peers`.
        case getSignedPeers(GetPeersArguments)
        /// Signed peers (draft BEP): store a signed record for an info-hash.
        case announceSignedPeer(AnnounceSignedPeerArguments)
        /// A method this implementation does not know. Kept rather than rejected so the
        /// node can answer with error 204 (method unknown) and still learn the sender's id.
        case unknown(name: [UInt8])

        /// The `q` value on the wire.
        public var name: [UInt8] {
            switch self {
            case .ping: return Array("ping".utf8)
            case .findNode: return Array("find_node".utf8)
            case .getPeers: return Array("get_peers".utf8)
            case .announcePeer: return Array("announce_peer".utf8)
            case .get: return Array("get".utf8)
            case .put: return Array("put".utf8)
            case .getSignedPeers: return Array("get_signed_peers".utf8)
            case .announceSignedPeer: return Array("announce_signed_peer".utf8)
            case .unknown(let name): return name
            }
        }
    }
}

/// `find_node`: the nodes closest to `target`.
public struct FindNodeArguments: Hashable, Sendable {
    public var target: NodeID
    /// BEP 32 `want`: which address families the querier wants nodes for; empty when absent.
    public var want: Set<AddressFamily>

    public init(target: NodeID, want: Set<AddressFamily> = []) {
        self.target = target
        self.want = want
    }
}

/// `get_peers`: peers for a torrent, or the closest nodes plus a write token.
public struct GetPeersArguments: Hashable, Sendable {
    public var infoHash: NodeID
    public var want: Set<AddressFamily>

    public init(infoHash: NodeID, want: Set<AddressFamily> = []) {
        self.infoHash = infoHash
        self.want = want
    }
}

/// `announce_peer`: store the sender as a peer for `infoHash`.
public struct AnnouncePeerArguments: Hashable, Sendable {
    public var infoHash: NodeID
    public var port: UInt16
    public var token: [UInt8]
    /// When set, the UDP source port replaces `port` (for peers behind NAT using uTP).
    public var impliedPort: Bool

    public init(infoHash: NodeID, port: UInt16, token: [UInt8], impliedPort: Bool = false) {
        self.infoHash = infoHash
        self.port = port
        self.token = token
        self.impliedPort = impliedPort
    }

    /// The address to store for the announcing peer, given where the datagram came from.
    public func peerAddress(datagramSource: DHTAddress) -> DHTAddress {
        DHTAddress(ip: datagramSource.ip, port: impliedPort ? datagramSource.port : port)
    }
}

/// BEP 44 `get`: the item stored under `target`.
public struct GetItemArguments: Hashable, Sendable {
    public var target: NodeID
    /// Only return the value if its sequence number is greater than this.
    public var sequenceNumber: Int64?
    public var want: Set<AddressFamily>

    public init(target: NodeID, sequenceNumber: Int64? = nil, want: Set<AddressFamily> = []) {
        self.target = target
        self.sequenceNumber = sequenceNumber
        self.want = want
    }
}

/// BEP 44 `put`: store an immutable item (only `value`) or a mutable one (with key,
/// signature and sequence number).
public struct PutItemArguments: Hashable, Sendable {
    public var token: [UInt8]
    /// The item, exactly as sent; decoding guarantees it is canonical bencode, because the
    /// signature and the immutable target are computed over these bytes.
    public var value: CanonicalBencode
    /// `k`: 32-byte ed25519 public key.
    public var publicKey: [UInt8]?
    /// `sig`: 64-byte ed25519 signature.
    public var signature: [UInt8]?
    /// `seq`.
    public var sequenceNumber: Int64?
    /// `cas`: the sequence number the writer expects to replace.
    public var expectedSequenceNumber: Int64?
    public var salt: [UInt8]?
    /// Some clients also send the `target` they computed. It is informational only: the
    /// storing node must derive the target itself from `k` and `salt` or from `v`.
    public var target: NodeID?

    public init(
        token: [UInt8],
        value: CanonicalBencode,
        publicKey: [UInt8]? = nil,
        signature: [UInt8]? = nil,
        sequenceNumber: Int64? = nil,
        expectedSequenceNumber: Int64? = nil,
        salt: [UInt8]? = nil,
        target: NodeID? = nil
    ) {
        self.token = token
        self.value = value
        self.publicKey = publicKey
        self.signature = signature
        self.sequenceNumber = sequenceNumber
        self.expectedSequenceNumber = expectedSequenceNumber
        self.salt = salt
        self.target = target
    }

    /// Mutable items are the ones that carry a public key.
    public var isMutable: Bool { publicKey != nil }
}
