import TomDHT
import TomGateway

/// One get of a refresh: a member's page, with the `seq` held when that member's gets started.
struct RosterPullRequest {
    let member: GatewayKey
    let page: Int
    let held: Int64?
}

/// One entry of a refresh plan: a member and the pages of it to get (`MeshHub.refreshPlan`).
struct RosterPullPlanEntry {
    let member: GatewayKey
    let pages: [Int]
}

/// One member's gets, run as `GatewayRuntime.pull(_:pages:)` runs them: at most
/// `RosterPull.getsPerMember` in flight, the items found accepted together once all finished.
struct RosterMemberPull {
    /// The plan's pages (usually the manifest alone); the second pull of a member gets every
    /// page, when what the first brought no longer matches its manifest.
    let isFirst: Bool
    var batch: OperationBatch<RosterPullRequest>
    var items: [MutableItem] = []

    init(_ requests: [RosterPullRequest], isFirst: Bool) {
        self.isFirst = isFirst
        batch = OperationBatch(requests, limit: RosterPull.getsPerMember)
    }
}

/// The pulls of one refresh cycle, as `GatewayRuntime.pullRosters` runs them: the members of
/// the plan at most `memberLimit` at a time, each on its own (its manifest accepted as soon
/// as it arrives, then at once its pages if the manifest changed), the next member starting
/// as soon as one is done. A slow member holds back only itself.
struct RosterPull {
    /// `maxConcurrentDHTOperations` (16 since 29f3753; 4 in 162a95c).
    static let memberLimit = OperationBatch<RosterPullPlanEntry>.defaultLimit
    /// The runtime's `concurrently(requests, limit: 4)` within one member.
    static let getsPerMember = 4

    var members: OperationBatch<RosterPullPlanEntry>
    /// The members whose gets are in flight.
    var running: [GatewayKey: RosterMemberPull] = [:]

    init(_ plan: [RosterPullPlanEntry]) {
        members = OperationBatch(plan, limit: Self.memberLimit)
    }
}
