import TomSignaling

/// One participant of the whole network and the gateway that hosts it.
public struct HostedEntry: Sendable, Equatable {
    public var entry: RosterEntry
    public var host: GatewayKey

    /// Equal apart from `roles`, which never shows in presence or participants messages.
    func isSameRegistration(as other: HostedEntry) -> Bool {
        host == other.host && entry.registeredAt == other.entry.registeredAt && entry.participant == other.entry.participant
    }
}

/// The participants list every gateway shows: its own clients and the verified rosters of
/// the gateways it is linked to, one entry per nodeId, in network registration order.
public struct ParticipantView: Sendable {
    public private(set) var ordered: [HostedEntry] = []
    public private(set) var byNodeId: [String: HostedEntry] = [:]

    public init() {}

    /// A nodeId registered at two gateways belongs to the newer registration; equal times
    /// (clock ties across machines) go to the smaller gateway key, so every gateway agrees.
    public static func wins(_ candidate: HostedEntry, over holder: HostedEntry) -> Bool {
        if candidate.entry.registeredAt != holder.entry.registeredAt {
            return candidate.entry.registeredAt > holder.entry.registeredAt
        }
        return candidate.host < holder.host
    }

    public init(sources: [(host: GatewayKey, entries: [RosterEntry])]) {
        var winners: [String: HostedEntry] = [:]
        for source in sources {
            for entry in source.entries {
                let candidate = HostedEntry(entry: entry, host: source.host)
                if let holder = winners[entry.nodeId], !Self.wins(candidate, over: holder) { continue }
                winners[entry.nodeId] = candidate
            }
        }
        byNodeId = winners
        ordered = winners.values.sorted {
            ($0.entry.registeredAt, $0.entry.nodeId) < ($1.entry.registeredAt, $1.entry.nodeId)
        }
    }

    public var participants: [Participant] { ordered.map(\.entry.participant) }

    /// What changed from `old` to this view: joins (new, or re-registered with other
    /// details or at another gateway) in registration order, and leaves.
    public func changes(since old: ParticipantView) -> (joined: [HostedEntry], left: [HostedEntry]) {
        let joined = ordered.filter { entry in
            guard let before = old.byNodeId[entry.entry.nodeId] else { return true }
            return !entry.isSameRegistration(as: before)
        }
        let left = old.ordered.filter { byNodeId[$0.entry.nodeId] == nil }
        return (joined, left)
    }
}
