import TomCrypto
import TomDHT

/// A ToM network's stable address in the DHT.
///
/// The hash is `SHA-1("tom-topic:v1:" + name)`: the prefix keeps ToM topics apart from
/// BitTorrent info-hashes that happen to hash a bare word, and the version lets a future
/// format move without colliding with today's members.
public struct Topic: Sendable, Hashable, CustomStringConvertible {
    public static let defaultName = "tom-protocol"

    public let name: String
    public let hash: NodeID

    public init(name: String = Topic.defaultName) {
        self.name = name
        // SHA-1 always yields 20 bytes.
        self.hash = NodeID(bytes: Hashing.sha1(Array("tom-topic:v1:\(name)".utf8)))!
    }

    /// The BEP 44 salt of a gateway's roster page: readable in captures, scoped to the topic
    /// (so one key can serve several topics), and at most 47 bytes (BEP 44 allows 64).
    public func rosterSalt(page: Int) -> [UInt8] {
        Array("tom:\(hash.hex.prefix(32)):\(page)".utf8)
    }

    /// The page index a roster salt names, or nil when the salt is not one of this topic's.
    public func rosterPage(salt: [UInt8]) -> Int? {
        let prefix = Array("tom:\(hash.hex.prefix(32)):".utf8)
        guard salt.count > prefix.count, salt.count <= prefix.count + 3, salt.starts(with: prefix) else { return nil }
        let digits = salt[prefix.count...]
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }), digits.first != 0x30 || digits.count == 1 else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    public var description: String { "\(name) (\(hash.hex))" }
}
