import TomDHT
import TomSignaling
import Testing
@testable import TomGateway

@Suite struct ParticipantViewTests {
    let first = GatewayKey([UInt8](repeating: 1, count: 32))!
    let second = GatewayKey([UInt8](repeating: 2, count: 32))!

    func entry(_ nodeId: String, _ time: Int64, name: String = "user") -> RosterEntry {
        RosterEntry(participant: Participant(nodeId: nodeId, username: name), registeredAt: time)
    }

    @Test func ordersTheWholeNetworkByRegistrationTime() {
        let view = ParticipantView(sources: [
            (first, [entry("a", 10), entry("c", 30)]),
            (second, [entry("b", 20), entry("d", 40)]),
        ])
        #expect(view.participants.map(\.nodeId) == ["a", "b", "c", "d"])
    }

    @Test func aNodeIdAtTwoGatewaysBelongsToTheNewerRegistration() {
        let view = ParticipantView(sources: [(first, [entry("x", 50, name: "old")]), (second, [entry("x", 60, name: "new")])])
        #expect(view.participants.map(\.username) == ["new"])
        #expect(view.byNodeId["x"]?.host == second)
        // A tie goes to the smaller key, whichever order the sources come in.
        let tie = ParticipantView(sources: [(second, [entry("x", 50, name: "b")]), (first, [entry("x", 50, name: "a")])])
        #expect(tie.byNodeId["x"]?.host == first)
    }

    @Test func changesAreJoinsForNewOrMovedEntriesAndLeavesForGoneOnes() {
        let before = ParticipantView(sources: [(first, [entry("a", 1), entry("b", 2)])])
        var moved = entry("b", 3)
        moved.roles = #"["relay"]"#
        let after = ParticipantView(sources: [(first, [entry("a", 1)]), (second, [moved, entry("c", 4)])])
        let (joined, left) = after.changes(since: before)
        #expect(joined.map(\.entry.nodeId) == ["b", "c"])
        #expect(left.isEmpty)
        // Roles alone are not a new registration.
        var relabelled = entry("a", 1)
        relabelled.roles = "[]"
        let rolesOnly = ParticipantView(sources: [(first, [relabelled])])
        #expect(rolesOnly.changes(since: ParticipantView(sources: [(first, [entry("a", 1)])])).joined.isEmpty)
        #expect(ParticipantView().changes(since: before).left.map(\.entry.nodeId) == ["a", "b"])
    }
}
