import CoreMetrics

/// How much of the network a gateway serves from the DHT versus its own clients: the
/// roadmap's "decreasing reliance on the signaling server", made measurable.
public final class GatewayMetrics: Sendable {
    /// Participants in the list this gateway serves, by where they come from.
    public let localParticipants: Gauge
    public let remoteParticipants: Gauge
    /// Participants-list entries sent to clients, by source.
    public let localEntriesServed: Counter
    public let remoteEntriesServed: Counter
    public let linkedGateways: Gauge
    public let itemsAcceptedPush: Counter
    public let itemsAcceptedPull: Counter
    public let itemsRejected: Counter
    public let signalsForwarded: Counter
    public let signalsReceivedFromLinks: Counter
    /// Forwarded signals answered `peer not found` because their link died unconfirmed.
    public let signalsUnconfirmed: Counter
    /// Bytes written to gateway links (frames, all types).
    public let linkBytesOut: Counter
    /// DHT operations done for the topic: announces, roster puts, roster gets, member lookups.
    public let dhtOperations: [String: Counter]

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        localParticipants = Gauge(label: "tom_gateway_participants", dimensions: [("source", "local")], factory: factory)
        remoteParticipants = Gauge(label: "tom_gateway_participants", dimensions: [("source", "dht")], factory: factory)
        localEntriesServed = Counter(label: "tom_gateway_entries_served_total", dimensions: [("source", "local")], factory: factory)
        remoteEntriesServed = Counter(label: "tom_gateway_entries_served_total", dimensions: [("source", "dht")], factory: factory)
        linkedGateways = Gauge(label: "tom_gateway_links", factory: factory)
        itemsAcceptedPush = Counter(label: "tom_gateway_items_accepted_total", dimensions: [("path", "push")], factory: factory)
        itemsAcceptedPull = Counter(label: "tom_gateway_items_accepted_total", dimensions: [("path", "pull")], factory: factory)
        itemsRejected = Counter(label: "tom_gateway_items_rejected_total", factory: factory)
        signalsForwarded = Counter(label: "tom_gateway_signals_forwarded_total", factory: factory)
        signalsReceivedFromLinks = Counter(label: "tom_gateway_signals_received_total", factory: factory)
        signalsUnconfirmed = Counter(label: "tom_gateway_signals_unconfirmed_total", factory: factory)
        linkBytesOut = Counter(label: "tom_gateway_link_bytes_out_total", factory: factory)
        dhtOperations = Dictionary(uniqueKeysWithValues: ["announce", "put", "get", "lookup"].map {
            ($0, Counter(label: "tom_gateway_dht_operations_total", dimensions: [("kind", $0)], factory: factory))
        })
    }
}
