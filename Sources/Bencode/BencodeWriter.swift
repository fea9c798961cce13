/// Writes bencode straight into a byte array, for encoders that know their keys in advance.
///
/// `BencodeEncoder` sorts a dictionary's keys on every call, which needs the whole tree
/// first. A message type whose keys are fixed can instead write them in raw-byte order
/// itself: no tree, no hashing, no sort, one growing buffer. Writing keys in order is the
/// caller's job; the output is canonical only if it does.
public struct BencodeWriter: Sendable {
    /// What has been written so far.
    public var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginDictionary() {
        bytes.append(ASCII.dictionaryStart)
    }

    public mutating func beginList() {
        bytes.append(ASCII.listStart)
    }

    /// Ends the innermost list or dictionary.
    public mutating func end() {
        bytes.append(ASCII.end)
    }

    /// A dictionary key (or any literal byte string).
    public mutating func key(_ key: StaticString) {
        BencodeEncoder.appendByteString(key, to: &bytes)
    }

    public mutating func byteString(_ value: [UInt8]) {
        BencodeEncoder.appendByteString(value, to: &bytes)
    }

    public mutating func byteString(_ value: ArraySlice<UInt8>) {
        BencodeEncoder.appendByteString(value, to: &bytes)
    }

    /// Only the `<length>:` prefix; the caller appends exactly `length` bytes next.
    public mutating func byteStringPrefix(length: Int) {
        BencodeEncoder.appendDecimal(Int64(length), to: &bytes)
        bytes.append(ASCII.colon)
    }

    public mutating func integer(_ value: Int64) {
        BencodeEncoder.appendInteger(value, to: &bytes)
    }

    /// A value that is already bencoded (and canonical), such as a BEP 44 `v`.
    public mutating func encoded(_ value: CanonicalBencode) {
        bytes.append(contentsOf: value.bytes)
    }

    /// Any value, through the tree encoder.
    public mutating func value(_ value: BencodeValue) {
        BencodeEncoder.append(value, to: &bytes)
    }
}
