/// Names one client operation (a ping, a lookup, an announce, a put...) from its start to
/// its `DHTEvent.operationCompleted`.
public struct OperationID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: OperationID, rhs: OperationID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "op\(rawValue)" }
}

/// A datagram the driver must send.
public struct OutgoingDatagram: Hashable, Sendable {
    public var bytes: [UInt8]
    public var destination: DHTAddress

    public init(bytes: [UInt8], destination: DHTAddress) {
        self.bytes = bytes
        self.destination = destination
    }
}

/// Something the node reports to its owner through `pollEvents()`.
public enum DHTEvent: Hashable, Sendable {
    case operationCompleted(OperationID, OperationOutcome)
    /// BEP 42: the `ip` votes of answering nodes settled on a new external address.
    case externalAddressChanged(IPAddress)
    /// We took a BEP 42 id for our external address. The routing table was rebuilt around
    /// it, and `selfLookup` (completing as `.bootstrapped`) fills the buckets near it.
    case nodeIDChanged(from: NodeID, to: NodeID, selfLookup: OperationID)
}

/// How a client operation ended.
public enum OperationOutcome: Hashable, Sendable {
    /// `ping`: the node that answered, or nil after a timeout or an error reply.
    case pinged(NodeInfo?)
    case bootstrapped(BootstrapSummary)
    /// `findNode`: the K closest nodes are in the result.
    case nodesFound(LookupResult)
    /// `getPeers`: the peers are in the result.
    case peersFound(LookupResult)
    /// `announce`: the lookup, then how many of the closest nodes accepted the announce.
    case announced(StoreSummary)
    /// `get`: the verified item (newest `seq` for mutable items), or nil.
    case itemFound(LookupResult)
    /// `putImmutable` / `putMutable`.
    case itemStored(StoreSummary)
    /// `getSignedPeers`: the verified records are in the result's `signedPeers`.
    case signedPeersFound(LookupResult)
    /// `announceSignedPeer`: the lookup, then how many of the closest nodes stored the record.
    case signedPeerAnnounced(StoreSummary)
    /// The operation could not start, for example a value over 1000 bytes.
    case rejected(String)
}

public struct BootstrapSummary: Hashable, Sendable {
    /// Bootstrap contacts that answered.
    public var contactsAnswered: Int
    public var routingTableSize: Int
    /// The lookup of our own id that followed, if any contact answered.
    public var lookup: LookupResult?
}

/// The second phase of announce and put: one store query to each of the K closest nodes.
public struct StoreSummary: Hashable, Sendable {
    /// The BEP 44 target or the info-hash.
    public var target: NodeID
    public var lookup: LookupResult
    /// Store queries sent (one per closest node that gave a token).
    public var attempted: Int
    /// Nodes that confirmed the store.
    public var stored: Int
    /// Error replies received, such as 302 from a node holding a newer item.
    public var errors: [KRPCErrorReply]
}
