import Logging
import TomDHT

extension DHTDriverCore {
    /// BEP 42 events: the external address is logged, and a new node id is saved with the
    /// routing table at once, so a restart keeps the id instead of changing it a second time.
    func noteIdentityChange(_ event: DHTEvent) {
        switch event {
        case .externalAddressChanged(let address):
            logger.info("dht external address", metadata: ["address": "\(address)"])
        case .nodeIDChanged(let previous, let current, _):
            logger.notice("dht node id changed for the external address (BEP 42)", metadata: [
                "previous": "\(previous.hex)", "node_id": "\(current.hex)", "routing_table": "\(node.routingTable.count)",
            ])
            saveSnapshot?(node.routingTable.snapshot.encoded())
        case .operationCompleted:
            break
        }
    }
}
