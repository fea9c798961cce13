/// The roster-propagation workload's shape: `gateways` ToM nodes run the real gateway logic
/// (TomGateway's publisher, directory and participants view) over the simulated DHT, and
/// `registrations` virtual legacy clients register at random gateways during the measured
/// phase; a `leaveShare` of them leave again.
public struct RosterPlan: Codable, Hashable, Sendable {
    public var gateways: Int
    public var registrations: Int
    /// Share of the registrations that leave again (those registered early enough to have
    /// time to converge first).
    public var leaveShare: Double
    /// How often every gateway looks the topic up and pulls the rosters (the runtime's
    /// `--gateway-refresh`, 15 s by default).
    public var refreshSeconds: Double

    public static let defaultRegistrations = 40
    public static let defaultLeaveShare = 0.25
    public static let defaultRefreshSeconds = 15.0

    public init(
        gateways: Int,
        registrations: Int = RosterPlan.defaultRegistrations,
        leaveShare: Double = RosterPlan.defaultLeaveShare,
        refreshSeconds: Double = RosterPlan.defaultRefreshSeconds
    ) {
        self.gateways = gateways
        self.registrations = registrations
        self.leaveShare = leaveShare
        self.refreshSeconds = refreshSeconds
    }

    func problems(nodes: Int) -> [String] {
        var problems: [String] = []
        if !(2...64).contains(gateways) { problems.append("--roster-gateways must be 0 (off) or within 2...64") }
        if gateways > nodes { problems.append("--roster-gateways must not exceed --nodes") }
        if !(1...10_000).contains(registrations) { problems.append("--roster-registrations must be within 1...10000") }
        if !(0...1).contains(leaveShare) { problems.append("--roster-leave-share must be within 0...1") }
        if !(refreshSeconds >= 1 && refreshSeconds <= 60) { problems.append("--roster-refresh must be within 1...60 seconds") }
        return problems
    }
}
