/// Why a byte sequence is not acceptable bencode.
///
/// The cases carry no offsets so that callers can match on them directly; the decoder
/// stops at the first problem it finds.
public enum BencodeError: Error, Equatable, Hashable, Sendable {
    /// The input ended inside a value.
    case truncated
    /// An `i...e` integer that is empty, has leading zeros, is `-0`, or does not fit in `Int64`.
    case invalidInteger
    /// A byte-string length prefix that is malformed (leading zeros, no digits, overflow).
    case invalidLength
    /// Dictionary keys out of raw-byte order while the decoder requires canonical order.
    case unsortedKeys
    /// The same key appears twice in one dictionary.
    case duplicateKey
    /// A dictionary key that is not a byte string.
    case nonStringKey
    /// Lists and dictionaries nested deeper than `Limits.maxDepth`.
    case tooDeep
    /// The input, or a byte string inside it, is larger than `Limits.maxInputSize`.
    case tooLarge
    /// More values than `Limits.maxElementCount` in one document.
    case tooManyElements
    /// Bytes remain after the first complete value.
    case trailingData
    /// A byte that cannot start or continue a value at this point.
    case unexpectedByte
}
