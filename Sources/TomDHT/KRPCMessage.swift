/// One KRPC datagram (BEP 5): a query, a response or an error, plus the envelope fields
/// shared by all three.
public struct KRPCMessage: Hashable, Sendable {
    /// Chosen by the querying node and echoed verbatim in the reply. BEP 5 suggests two
    /// bytes, but clients use other lengths, so any length up to the decoder's cap is kept.
    public var transactionID: [UInt8]
    /// The top-level `v`: a client identifier such as "LT\x01\x02". Optional on the wire.
    public var clientVersion: [UInt8]?
    /// The top-level `ip` (BEP 42): the address the sender saw this message's receiver at,
    /// which is how a node learns its external address.
    public var requesterAddress: DHTAddress?
    /// The top-level `ro` (BEP 43): the sender will not answer queries, so it must not be
    /// added to routing tables.
    public var isReadOnly: Bool
    public var kind: Kind

    public enum Kind: Hashable, Sendable {
        case query(KRPCQuery)
        case response(KRPCResponse)
        case error(KRPCErrorReply)
    }

    public init(
        transactionID: [UInt8],
        kind: Kind,
        clientVersion: [UInt8]? = nil,
        requesterAddress: DHTAddress? = nil,
        isReadOnly: Bool = false
    ) {
        self.transactionID = transactionID
        self.kind = kind
        self.clientVersion = clientVersion
        self.requesterAddress = requesterAddress
        self.isReadOnly = isReadOnly
    }

    public var query: KRPCQuery? {
        if case .query(let query) = kind { return query }
        return nil
    }

    public var response: KRPCResponse? {
        if case .response(let response) = kind { return response }
        return nil
    }

    public var errorReply: KRPCErrorReply? {
        if case .error(let reply) = kind { return reply }
        return nil
    }
}
