import CoreMetrics

/// Counters the hubs and the front end share; backed by whatever metrics factory the
/// process uses (Prometheus in tom-node, a no-op in unit tests).
public final class SignalingMetrics: Sendable {
    private let factory: any MetricsFactory
    private let messagesOut: [String: Counter]
    private let messagesIn: [String: Counter]
    private let errors: [String: Counter]
    public let bytesOut: Counter
    public let bytesIn: Counter
    public let backpressureClosed: Counter
    public let registeredParticipants: Gauge
    /// Participants lists not sent because their change was merged into a later list by the
    /// participants rate limit (`RateLimit`, `--participants-rate`).
    public let participantsCoalesced: Counter
    /// Registers let through with a verified signature (the authenticated register).
    public let authenticatedRegisters: Counter

    /// Message types counted by name; anything else counts as "other".
    public static let inboundTypes = ["register", "signal", "heartbeat", "role-assign", "other"]
    public static let outboundTypes = ["participants", "presence", "signal", "heartbeat", "role-assign", "error", "challenge"]
    public static let errorKinds = LegacyError.allCases.map(\.metricName) + ["protocol", "oversize", "backpressure", "rejected_connection", "message_rate", "byte_rate", "register_rate"]
        + RegisterAuthError.allCases.map(\.metricName)

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
        func counters(_ label: String, _ dimension: String, _ values: [String]) -> [String: Counter] {
            Dictionary(uniqueKeysWithValues: values.map { ($0, Counter(label: label, dimensions: [(dimension, $0)], factory: factory)) })
        }
        messagesOut = counters("tom_messages_out_total", "type", Self.outboundTypes)
        messagesIn = counters("tom_messages_in_total", "type", Self.inboundTypes)
        errors = counters("tom_errors_total", "kind", Self.errorKinds)
        bytesOut = Counter(label: "tom_bytes_out_total", factory: factory)
        bytesIn = Counter(label: "tom_bytes_in_total", factory: factory)
        backpressureClosed = Counter(label: "tom_backpressure_closed_total", factory: factory)
        registeredParticipants = Gauge(label: "tom_registered_participants", factory: factory)
        participantsCoalesced = Counter(label: "tom_participants_coalesced_total", factory: factory)
        authenticatedRegisters = Counter(label: "tom_authenticated_registers_total", factory: factory)
    }

    public func countIn(type: String, bytes: Int) {
        (messagesIn[type] ?? messagesIn["other"])?.increment()
        bytesIn.increment(by: bytes)
    }

    public func countOut(type: String, messages: Int, bytes: Int) {
        messagesOut[type]?.increment(by: messages)
        bytesOut.increment(by: bytes)
    }

    public func countError(_ kind: String) {
        errors[kind]?.increment()
    }
}

extension LegacyError {
    public var metricName: String {
        switch self {
        case .invalidJSON: "invalid_json"
        case .missingNodeIdOrUsername: "missing_nodeid_or_username"
        case .missingToOrFrom: "missing_to_or_from"
        case .peerNotFound: "peer_not_found"
        }
    }
}
