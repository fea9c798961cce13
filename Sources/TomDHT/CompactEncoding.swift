/// Why a compact address or node string could not be read.
public enum CompactDecodingError: Error, Equatable, Hashable, Sendable {
    /// The byte count matches no compact form (6 or 18 for peers, 26 or 38 for nodes),
    /// or a list is not a whole number of entries.
    case invalidLength(Int)
    /// A list holds more entries than the caller allows.
    case tooManyEntries
}

/// BEP 5 "compact" encodings: network-order IP followed by network-order port, and for nodes
/// the 20-byte id first. BEP 32 extends both to IPv6 (18 and 38 bytes).
public enum CompactEncoding {
    public static let peerV4Size = 6
    public static let peerV6Size = 18
    public static let nodeV4Size = 26
    public static let nodeV6Size = 38

    public static func peerSize(for family: AddressFamily) -> Int {
        family == .v4 ? peerV4Size : peerV6Size
    }

    public static func nodeSize(for family: AddressFamily) -> Int {
        family == .v4 ? nodeV4Size : nodeV6Size
    }
}

extension DHTAddress {
    /// "Compact IP-address/port info": 6 bytes for IPv4, 18 for IPv6.
    public var compactBytes: [UInt8] {
        ip.bytes + [UInt8(truncatingIfNeeded: port >> 8), UInt8(truncatingIfNeeded: port)]
    }

    /// Reads a 6- or 18-byte compact address.
    public init(compact bytes: some Collection<UInt8>) throws(CompactDecodingError) {
        let all = Array(bytes)
        guard all.count == CompactEncoding.peerV4Size || all.count == CompactEncoding.peerV6Size,
              let ip = IPAddress(bytes: all[0..<(all.count - 2)])
        else { throw .invalidLength(all.count) }
        let port = UInt16(all[all.count - 2]) << 8 | UInt16(all[all.count - 1])
        self.init(ip: ip, port: port)
    }
}

extension NodeInfo {
    /// "Compact node info": 26 bytes for IPv4, 38 for IPv6.
    public var compactBytes: [UInt8] {
        id.bytes + address.compactBytes
    }

    /// Reads a 26- or 38-byte compact node.
    public init(compact bytes: some Collection<UInt8>) throws(CompactDecodingError) {
        let all = Array(bytes)
        guard all.count == CompactEncoding.nodeV4Size || all.count == CompactEncoding.nodeV6Size,
              let id = NodeID(bytes: all[0..<NodeID.byteCount])
        else { throw .invalidLength(all.count) }
        let address = try DHTAddress(compact: all[NodeID.byteCount...])
        self.init(id: id, address: address)
    }

    /// Concatenated compact nodes, as in the `nodes` and `nodes6` fields.
    public static func compactList(_ nodes: [NodeInfo]) -> [UInt8] {
        nodes.flatMap(\.compactBytes)
    }

    /// Splits a `nodes` (IPv4) or `nodes6` (IPv6) string into nodes.
    public static func decodeCompactList(
        _ bytes: [UInt8],
        family: AddressFamily,
        maxCount: Int = Int.max
    ) throws(CompactDecodingError) -> [NodeInfo] {
        try decodeCompactList(bytes[...], family: family, maxCount: maxCount)
    }

    /// The same, reading straight from a slice of a datagram.
    public static func decodeCompactList(
        _ bytes: ArraySlice<UInt8>,
        family: AddressFamily,
        maxCount: Int = Int.max
    ) throws(CompactDecodingError) -> [NodeInfo] {
        let entrySize = CompactEncoding.nodeSize(for: family)
        guard bytes.count % entrySize == 0 else { throw .invalidLength(bytes.count) }
        guard bytes.count / entrySize <= maxCount else { throw .tooManyEntries }
        var nodes: [NodeInfo] = []
        nodes.reserveCapacity(bytes.count / entrySize)
        var start = bytes.startIndex
        while start < bytes.endIndex {
            nodes.append(try NodeInfo(compact: bytes[start..<(start + entrySize)]))
            start += entrySize
        }
        return nodes
    }
}
