import TomDHT

/// Who is on the simulated network: which node indices are live, which of them are vanilla
/// (BEP 5-only) and which have finished joining. Live sets support O(1) random picks and
/// removals, always in the same order for the same history, so runs replay.
struct Population {
    private(set) var isVanilla: [Bool] = []
    private(set) var joinedAt: [DHTTime] = []
    private(set) var bootstrappedAt: [DHTTime?] = []
    /// Live nodes that finished their bootstrap: the ones a lookup can be expected to find.
    private(set) var ready = LiveSet()
    /// The subset of `ready` that runs ToM (not vanilla): origins of measured operations.
    private(set) var readyToM = LiveSet()
    private(set) var live = LiveSet()
    private(set) var joins = 0
    private(set) var departures = 0

    mutating func added(_ index: Int, vanilla: Bool, at now: DHTTime) {
        precondition(index == isVanilla.count, "nodes are added in index order")
        isVanilla.append(vanilla)
        joinedAt.append(now)
        bootstrappedAt.append(nil)
        live.insert(index)
        joins += 1
    }

    mutating func bootstrapped(_ index: Int, at now: DHTTime) {
        guard live.contains(index), bootstrappedAt[index] == nil else { return }
        bootstrappedAt[index] = now
        ready.insert(index)
        if !isVanilla[index] { readyToM.insert(index) }
    }

    mutating func removed(_ index: Int) {
        guard live.contains(index) else { return }
        live.remove(index)
        ready.remove(index)
        readyToM.remove(index)
        departures += 1
    }

    var count: Int { isVanilla.count }
}

/// A set of small integers with O(1) insert, remove, membership and uniform random pick.
struct LiveSet {
    private(set) var members: [Int] = []
    private var position: [Int: Int] = [:]

    var count: Int { members.count }
    var isEmpty: Bool { members.isEmpty }

    func contains(_ value: Int) -> Bool { position[value] != nil }

    mutating func insert(_ value: Int) {
        guard position[value] == nil else { return }
        position[value] = members.count
        members.append(value)
    }

    /// Swap-remove: the last member takes the removed one's place.
    mutating func remove(_ value: Int) {
        guard let index = position.removeValue(forKey: value) else { return }
        let last = members.removeLast()
        if index < members.count {
            members[index] = last
            position[last] = index
        }
    }

    func randomElement(using generator: inout some RandomNumberGenerator) -> Int? {
        members.isEmpty ? nil : members[Int.random(in: 0..<members.count, using: &generator)]
    }

    /// A random member other than those in `excluded`, trying a few times; nil if none found.
    func randomElement(excluding excluded: Set<Int>, using generator: inout some RandomNumberGenerator) -> Int? {
        guard members.count > excluded.count else { return nil }
        for _ in 0..<64 {
            if let pick = randomElement(using: &generator), !excluded.contains(pick) { return pick }
        }
        return members.first { !excluded.contains($0) }
    }
}
