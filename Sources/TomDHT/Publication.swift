import Bencode

/// Something we stored in the DHT ourselves and may want to keep there: stored data expires
/// (BEP 44 items 2 hours after their last put, announced peers 30 minutes after their last
/// announce), so the publisher has to store it again. `RepublishSchedule` decides when.
public enum Publication: Hashable, Sendable {
    case immutable(CanonicalBencode)
    /// Re-put as it is: same `seq`, same signature. BEP 44 lets a node refresh an item with
    /// an equal `seq` and the same value, and a republisher that holds no key cannot sign.
    case mutable(MutableItem)
    /// An announce of our port, or of the announce's UDP source port when `port` is nil
    /// (BEP 5 `implied_port`).
    case announce(infoHash: NodeID, port: UInt16?)

    /// What a newer publication replaces: the item at a target, or one port announced for
    /// an info-hash.
    public enum Key: Hashable, Sendable {
        case item(NodeID)
        case announce(NodeID, port: UInt16?)
    }

    public var key: Key {
        switch self {
        case .immutable(let value): .item(ItemTarget.immutable(value))
        case .mutable(let item): .item(item.target)
        case .announce(let infoHash, let port): .announce(infoHash, port: port)
        }
    }

    public var isAnnounce: Bool {
        if case .announce = self { return true }
        return false
    }
}

extension DHTNode {
    /// Stores `publication` again: `putImmutable`, `putMutable` or `announce`. Completes as
    /// `.itemStored` or `.announced` (or `.rejected`).
    @discardableResult
    public mutating func publish(_ publication: Publication, now: DHTTime) -> OperationID {
        switch publication {
        case .immutable(let value):
            putImmutable(value, now: now)
        case .mutable(let item):
            putMutable(item, now: now)
        case .announce(let infoHash, let port):
            announce(infoHash, port: port ?? 0, impliedPort: port == nil, now: now)
        }
    }
}
