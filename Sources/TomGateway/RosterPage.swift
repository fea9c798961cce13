import Bencode
import TomCrypto

/// The signed value of one roster page, a BEP 44 mutable item under the gateway's key with
/// the salt `Topic.rosterSalt(page:)`.
///
/// Page 0 is the manifest: how many entry pages there are, a digest of their `seq`s, and the
/// gateway's endpoints. Pages 1...n hold the entries. A reader that fetches only the manifest
/// can tell whether every page it holds is current (the digest matches), so a periodic pull
/// costs one lookup per gateway while nothing changes.
public enum RosterPage: Sendable, Equatable {
    case manifest(RosterManifest)
    case entries([RosterEntry])

    /// BEP 44's bound on a bencoded `v`.
    public static let maxValueBytes = 1000
    static let format: Int64 = 1
    static let maxEntriesPerPage = 32

    public var encoded: CanonicalBencode {
        switch self {
        case .manifest(let manifest):
            var fields: [String: BencodeValue] = [
                "f": .integer(Self.format),
                "n": .integer(Int64(manifest.pageCount)),
                "d": .bytes(manifest.digest),
                "w": .list(manifest.endpoints.map(BencodeValue.string)),
            ]
            if manifest.withdrawn { fields["x"] = .integer(1) }
            return CanonicalBencode(.dictionary(stringKeys: fields))
        case .entries(let entries):
            return CanonicalBencode(.dictionary(stringKeys: [
                "f": .integer(Self.format),
                "r": .list(entries.map(\.bencoded)),
            ]))
        }
    }

    public static func decode(_ value: CanonicalBencode, page: Int) throws(GatewayRecordError) -> RosterPage {
        guard value.bytes.count <= maxValueBytes else { throw .tooLarge(value.bytes.count) }
        let root = value.value
        guard root.dictionaryValue != nil, root["f"]?.integerValue == format else {
            throw .malformed("not a format-1 roster page")
        }
        if page == 0 {
            guard let count = root["n"]?.integerValue, (0...RosterManifest.maxPages).contains(count) else {
                throw .malformed("manifest page count missing or out of range")
            }
            guard let digest = root["d"]?.bytesValue, digest.count == RosterManifest.digestLength else {
                throw .malformed("manifest digest missing")
            }
            guard let endpointValues = root["w"]?.listValue, endpointValues.count <= RosterManifest.maxEndpoints else {
                throw .malformed("manifest endpoints missing or too many")
            }
            var endpoints: [String] = []
            for value in endpointValues {
                guard let endpoint = value.stringValue, !endpoint.isEmpty, endpoint.utf8.count <= 255 else {
                    throw .malformed("manifest endpoint is not text")
                }
                endpoints.append(endpoint)
            }
            let withdrawn = root["x"]?.integerValue == 1
            return .manifest(RosterManifest(pageCount: Int(count), digest: digest, endpoints: endpoints, withdrawn: withdrawn))
        }
        guard let list = root["r"]?.listValue, list.count <= maxEntriesPerPage else {
            throw .malformed("entry page lacks its entries or has too many")
        }
        var entries: [RosterEntry] = []
        entries.reserveCapacity(list.count)
        for entry in list {
            entries.append(try RosterEntry(bencoded: entry))
        }
        return .entries(entries)
    }
}

public struct RosterManifest: Sendable, Hashable {
    static let maxPages: Int64 = 4096
    static let maxEndpoints = 8
    static let digestLength = 16

    /// Entry pages 1...pageCount.
    public var pageCount: Int
    /// `RosterManifest.digest(of:)` over the `seq` of every entry page.
    public var digest: [UInt8]
    /// Where the gateway serves, e.g. `ws://203.0.113.7:3001`.
    public var endpoints: [String]
    /// The gateway left cleanly: forget it now rather than when its link times out.
    public var withdrawn: Bool

    public init(pageCount: Int, digest: [UInt8], endpoints: [String], withdrawn: Bool = false) {
        self.pageCount = pageCount
        self.digest = digest
        self.endpoints = endpoints
        self.withdrawn = withdrawn
    }

    /// BLAKE2b-128 of the pages' `seq`s in page order (0 for a page not held).
    public static func digest(of sequenceNumbers: [Int64]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sequenceNumbers.count * 8)
        for seq in sequenceNumbers {
            withUnsafeBytes(of: seq.bigEndian) { bytes.append(contentsOf: $0) }
        }
        return Hashing.blake2b(bytes, outputLength: digestLength)
    }
}
