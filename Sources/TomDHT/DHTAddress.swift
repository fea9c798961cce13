/// A UDP endpoint: where a DHT node or a peer can be reached.
public struct DHTAddress: Hashable, Sendable {
    public var ip: IPAddress
    public var port: UInt16

    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    public var family: AddressFamily { ip.family }
}

extension DHTAddress: CustomStringConvertible {
    public var description: String {
        switch ip {
        case .v4(let address): return "\(address):\(port)"
        case .v6(let address): return "[\(address)]:\(port)"
        }
    }
}

/// A node's id together with its endpoint, the unit of routing information.
public struct NodeInfo: Hashable, Sendable {
    public var id: NodeID
    public var address: DHTAddress

    public init(id: NodeID, address: DHTAddress) {
        self.id = id
        self.address = address
    }
}
