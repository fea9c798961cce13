import Bencode

/// Why a datagram is not an acceptable KRPC message.
///
/// Carries the transaction id and message type when they could be read, so that a node
/// can still answer a malformed query with error 203 instead of staying silent.
public struct KRPCDecodingError: Error, Hashable, Sendable {
    public enum Reason: Error, Hashable, Sendable {
        /// The datagram is not valid bencode.
        case bencode(BencodeError)
        /// Valid bencode whose top level is not a dictionary.
        case notADictionary
        /// A required key is absent. Keys are named by path, such as "a.id".
        case missingKey(String)
        /// A key holds the wrong kind of bencode value.
        case wrongType(String)
        /// A byte string with an unacceptable length (a 19-byte id, a 5-byte compact peer...).
        case invalidLength(String)
        /// A value outside its allowed range, such as a port above 65535.
        case invalidValue(String)
        /// A list or compact string with more entries than `KRPCLimits` allow.
        case tooManyEntries(String)
        /// `y` is not "q", "r" or "e".
        case unknownMessageType
        /// A BEP 44 `v` that is not canonical bencode; BEP 44 requires rejecting it (error 203).
        case nonCanonicalValue(String)
    }

    public var reason: Reason
    /// The `t` of the offending message, when it was readable.
    public var transactionID: [UInt8]?
    /// Whether the message said it was a query (`y` = "q"); only queries deserve an error reply.
    public var isQuery: Bool

    public init(reason: Reason, transactionID: [UInt8]? = nil, isQuery: Bool = false) {
        self.reason = reason
        self.transactionID = transactionID
        self.isQuery = isQuery
    }
}

/// Caps that bound what one datagram may make the decoder build.
public struct KRPCLimits: Sendable, Hashable {
    public var maxTransactionIDLength: Int
    public var maxTokenLength: Int
    public var maxClientVersionLength: Int
    /// Per family: applies to `nodes` and `nodes6` separately.
    public var maxNodesPerResponse: Int
    public var maxValuesPerResponse: Int
    public var bencode: BencodeDecoder.Limits
    /// Records in the `peers` of a `get_signed_peers` answer (104 bytes each; senders put 10).
    public var maxSignedPeersPerResponse: Int

    public init(
        maxTransactionIDLength: Int = 64,
        maxTokenLength: Int = 128,
        maxClientVersionLength: Int = 64,
        maxNodesPerResponse: Int = 256,
        maxValuesPerResponse: Int = 512,
        // A UDP datagram cannot exceed 64 KiB, so neither can a message.
        bencode: BencodeDecoder.Limits = BencodeDecoder.Limits(maxInputSize: 65_536, maxDepth: 32, maxElementCount: 8_192),
        maxSignedPeersPerResponse: Int = 64
    ) {
        self.maxTransactionIDLength = maxTransactionIDLength
        self.maxTokenLength = maxTokenLength
        self.maxClientVersionLength = maxClientVersionLength
        self.maxNodesPerResponse = maxNodesPerResponse
        self.maxValuesPerResponse = maxValuesPerResponse
        self.bencode = bencode
        self.maxSignedPeersPerResponse = maxSignedPeersPerResponse
    }
}
