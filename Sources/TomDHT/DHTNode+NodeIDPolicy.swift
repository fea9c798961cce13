/// BEP 42 both ways: our own id follows the external address the network reports, and
/// (when `enforceNodeIDs` is on) other nodes' ids must match their address to enter the
/// routing table.
extension DHTNode {
    /// The external address the `ip` votes of answers settled on (see `ExternalAddressVote`).
    public var externalAddress: IPAddress? { externalAddressVote.externalAddress }

    /// Whether `node` may enter the routing table: always, unless `enforceNodeIDs` is on
    /// and its id is not BEP 42-valid for its public address (local addresses are exempt).
    func admitsToRoutingTable(_ node: NodeInfo) -> Bool {
        !config.enforceNodeIDs || NodeIDSecurity.isCompliant(node.id, ip: node.address.ip)
    }

    /// Counts the `ip` an answering node reported (by the IP it answered from, one vote per
    /// voter). Only answers to our own queries get here, so an off-path sender would have to
    /// guess a transaction id to vote.
    mutating func recordExternalAddressVote(_ reported: DHTAddress?, from source: DHTAddress, now: DHTTime) {
        guard let reported,
              let changed = externalAddressVote.record(reported.ip, from: source.ip, settings: config.externalAddressVoting)
        else { return }
        events.append(.externalAddressChanged(changed))
        adoptSecureNodeID(for: changed, now: now)
    }

    /// Takes a BEP 42 id for `ip` unless ours already is one, it is a local address (which
    /// BEP 42 exempts), the switch is off, or we are read-only (nobody keeps us in a table,
    /// so nobody checks our id). The routing table is rebuilt around the new id with the same
    /// nodes, and a self-lookup (a bootstrap from the table) fills the buckets near it.
    mutating func adoptSecureNodeID(for ip: IPAddress, now: DHTTime) {
        guard config.derivesNodeIDFromExternalAddress, !config.isReadOnly, !ip.isLocalNetwork,
              !NodeIDSecurity.idMatches(nodeID, ip: ip)
        else { return }
        let previous = nodeID
        nodeID = NodeIDSecurity.secureID(for: ip, using: &random)
        routingTable = routingTable.rebuilt(around: nodeID, at: now)
        // Reported before anything the self-lookup reports, even if it ends at once.
        let position = events.count
        let selfLookup = bootstrap(from: [], now: now)
        events.insert(.nodeIDChanged(from: previous, to: nodeID, selfLookup: selfLookup), at: position)
    }
}
