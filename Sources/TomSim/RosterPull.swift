import TomDHT
import TomGateway

/// One get of a refresh: a member's page, with the `seq` held when the batch was planned.
struct RosterPullRequest {
    let member: GatewayKey
    let page: Int
    let held: Int64?
}

/// One batch of a refresh's gets, run as `GatewayRuntime.pull` runs it: at most 16 in flight,
/// the items found kept until every get finished, then accepted together.
struct RosterPull {
    /// The first batch of a cycle (its plan); the second gets the pages of the members whose
    /// roster the first left incomplete.
    let isFirst: Bool
    var batch: OperationBatch<RosterPullRequest>
    var items: [MutableItem] = []

    init(_ requests: [RosterPullRequest], isFirst: Bool) {
        self.isFirst = isFirst
        batch = OperationBatch(requests)
    }
}
