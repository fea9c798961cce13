import TomDHT
import TomGateway
import TomSignaling

/// One virtual legacy client: where and when it registers (and maybe leaves), and when each
/// other gateway's participants view first showed it (and, after it left, first lost it).
/// This is the truth the roster workload judges the gateways' views against.
struct RosterRegistration {
    var participant: Participant
    var gateway: Int
    var registerAt: DHTTime
    var leaveAt: DHTTime?
    /// Set when it registered: the entry its gateway published.
    var entry: RosterEntry?
    /// The `seq` of the manifest its registration signed, and when a put of that manifest (or a
    /// newer one) was first stored: from then on a reader can find it.
    var manifestSequenceNumber: Int64?
    var storedAt: DHTTime?
    var leftAt: DHTTime?
    /// Its leave time came before every other gateway showed it: it leaves once they have.
    var leaveDeferred = false
    var visibleAt: [DHTTime?]
    var goneAt: [DHTTime?]
    /// From its registration until the last other gateway showed it.
    var converged: DHTDuration?
    /// From its leave until the last other gateway stopped showing it.
    var leaveConverged: DHTDuration?

    init(participant: Participant, gateway: Int, registerAt: DHTTime, leaveAt: DHTTime?, gateways: Int) {
        self.participant = participant
        self.gateway = gateway
        self.registerAt = registerAt
        self.leaveAt = leaveAt
        visibleAt = Array(repeating: nil, count: gateways)
        goneAt = Array(repeating: nil, count: gateways)
    }

    var isLive: Bool { entry != nil && leftAt == nil }

    /// Notes what gateway `observer` now shows (`shown`: its view's entry for this nodeId).
    mutating func observe(by observer: Int, shown: HostedEntry?, host: GatewayKey, now: DHTTime) {
        guard observer != gateway, let entry else { return }
        if let leftAt {
            guard goneAt[observer] == nil, shown == nil else { return }
            goneAt[observer] = now
            if leaveConverged == nil, allOthers(goneAt) { leaveConverged = now.elapsed(since: leftAt) }
        } else {
            guard visibleAt[observer] == nil, let shown, shown.host == host,
                  shown.entry.registeredAt == entry.registeredAt, shown.entry.participant == participant
            else { return }
            visibleAt[observer] = now
            if converged == nil, allOthers(visibleAt) { converged = now.elapsed(since: registerAt) }
        }
    }

    private func allOthers(_ times: [DHTTime?]) -> Bool {
        times.indices.allSatisfy { $0 == gateway || times[$0] != nil }
    }
}
