/// A KRPC error code. A struct rather than an enum because peers may send any integer.
public struct KRPCErrorCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    // BEP 5
    public static let genericError = KRPCErrorCode(rawValue: 201)
    public static let serverError = KRPCErrorCode(rawValue: 202)
    /// Malformed packet, invalid arguments or bad token.
    public static let protocolError = KRPCErrorCode(rawValue: 203)
    public static let methodUnknown = KRPCErrorCode(rawValue: 204)

    // BEP 44
    /// The `v` field is too big.
    public static let messageTooBig = KRPCErrorCode(rawValue: 205)
    public static let invalidSignature = KRPCErrorCode(rawValue: 206)
    /// The `salt` field is too big.
    public static let saltTooBig = KRPCErrorCode(rawValue: 207)
    /// The `cas` did not match the stored sequence number; re-read and try again.
    public static let casMismatch = KRPCErrorCode(rawValue: 301)
    /// The sequence number is less than the stored one.
    public static let sequenceNumberLessThanCurrent = KRPCErrorCode(rawValue: 302)
}

/// The body of an error message: `"e": [code, message]`.
public struct KRPCErrorReply: Hashable, Sendable {
    public var code: KRPCErrorCode
    /// Human-readable text; invalid UTF-8 from the wire is repaired, since it is only shown.
    public var message: String

    public init(code: KRPCErrorCode, message: String) {
        self.code = code
        self.message = message
    }
}
