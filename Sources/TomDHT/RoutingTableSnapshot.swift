import Bencode

/// What a driver persists between runs: our id and the nodes worth contacting again.
///
/// Stored as a small bencoded dictionary, `id` plus `nodes` / `nodes6` in compact node
/// format, so it needs neither Foundation nor Codable and is readable by other tools.
public struct RoutingTableSnapshot: Hashable, Sendable {
    public var ownID: NodeID
    public var nodes: [NodeInfo]

    public init(ownID: NodeID, nodes: [NodeInfo]) {
        self.ownID = ownID
        self.nodes = nodes
    }

    public enum DecodingError: Error, Hashable, Sendable {
        case bencode(BencodeError)
        case notADictionary
        case missingOrInvalidID
        case invalidNodes(CompactDecodingError)
    }

    public func encoded() -> [UInt8] {
        let v4 = nodes.filter { $0.address.family == .v4 }
        let v6 = nodes.filter { $0.address.family == .v6 }
        let value: BencodeValue = [
            "id": .bytes(ownID.bytes),
            "nodes": .bytes(NodeInfo.compactList(v4)),
            "nodes6": .bytes(NodeInfo.compactList(v6)),
        ]
        return value.encoded()
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        let root: BencodeValue
        do {
            root = try BencodeDecoder().decode(bytes)
        } catch {
            throw .bencode(error)
        }
        guard case .dictionary = root else { throw .notADictionary }
        guard let idBytes = root["id"]?.bytesValue, let id = NodeID(bytes: idBytes) else {
            throw .missingOrInvalidID
        }
        var nodes: [NodeInfo] = []
        do throws(CompactDecodingError) {
            nodes += try NodeInfo.decodeCompactList(root["nodes"]?.bytesValue ?? [], family: .v4)
            nodes += try NodeInfo.decodeCompactList(root["nodes6"]?.bytesValue ?? [], family: .v6)
        } catch {
            throw .invalidNodes(error)
        }
        self.init(ownID: id, nodes: nodes)
    }
}

extension RoutingTable {
    /// The live nodes that are not bad, confirmed ones first, for saving.
    public var snapshot: RoutingTableSnapshot {
        let usable = entries.filter { !$0.isBad(settings: settings) }
        let ordered = usable.filter(\.isConfirmed) + usable.filter { !$0.isConfirmed }
        return RoutingTableSnapshot(ownID: ownID, nodes: ordered.map(\.node))
    }

    /// Re-inserts saved nodes as unverified; they become good once they answer again.
    public mutating func restore(_ snapshot: RoutingTableSnapshot, at now: DHTTime) {
        for node in snapshot.nodes {
            insertUnverified(node, at: now)
        }
    }
}
