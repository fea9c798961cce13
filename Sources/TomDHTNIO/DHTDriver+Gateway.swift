import TomDHT

extension DHTDriver {
    /// Stores a mutable item someone already signed (a gateway's roster page, re-put as is).
    public func putSigned(_ item: MutableItem) async throws -> StoreSummary {
        try storeSummary(await perform { $0.putMutable(item, now: $1) })
    }

    /// Looks up the mutable item of `publicKey` and `salt`, answering nothing unless a node
    /// holds a `seq` newer than `heldSequenceNumber` (BEP 44 `seq` in `get`).
    public func getMutable(publicKey: [UInt8], salt: [UInt8], newerThan heldSequenceNumber: Int64?) async throws -> LookupResult {
        let target = ItemTarget.mutable(publicKey: publicKey, salt: salt)
        guard case .itemFound(let result) = try await perform({
            $0.get(target, salt: salt, newerThan: heldSequenceNumber, now: $1)
        }) else {
            throw DHTDriverError.unexpectedOutcome("get")
        }
        return result
    }

    /// The peers this node itself stores for `infoHash`. A lookup asks other nodes only, so
    /// in a network of two the peer each one stores for the other would never be seen.
    public func storedPeers(for infoHash: NodeID) async throws -> [DHTAddress] {
        let core = self.core
        return try await eventLoop.submit {
            let state = core.value
            return state.node.peerStore.allPeers(for: infoHash, now: state.now())
        }.get()
    }
}
