/// One datagram sent or received by a watched node of a `VirtualNetwork`, so a simulator
/// can count the messages and bytes each operation costs.
public struct WatchedDatagram: Sendable {
    public enum Direction: Hashable, Sendable {
        case sent
        case received
    }

    public var time: DHTTime
    /// The watched node's index.
    public var node: Int
    public var direction: Direction
    /// The other end: the destination of a sent datagram, the source of a received one.
    public var peer: DHTAddress
    public var bytes: [UInt8]
}
