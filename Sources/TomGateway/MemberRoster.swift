import TomDHT

/// What this gateway holds of another gateway's roster: the newest verified item per page.
public struct MemberRoster: Sendable {
    public let key: GatewayKey
    public private(set) var manifest: RosterManifest?
    private(set) var items: [Int: MutableItem] = [:]
    private var entryPages: [Int: [RosterEntry]] = [:]

    init(key: GatewayKey) {
        self.key = key
    }

    func sequenceNumber(ofPage page: Int) -> Int64? {
        items[page]?.sequenceNumber
    }

    /// Keeps `page` decoded from `item`, which the caller has verified and found newer.
    mutating func keep(_ page: RosterPage, index: Int, item: MutableItem) {
        items[index] = item
        switch page {
        case .manifest(let manifest):
            self.manifest = manifest
            // Pages past the new count are gone from the gateway; forget them too.
            for stale in entryPages.keys where stale > manifest.pageCount {
                entryPages[stale] = nil
                items[stale] = nil
            }
        case .entries(let entries):
            entryPages[index] = entries
        }
    }

    /// The entries of pages 1...n, in page order. Before a manifest arrives, every held page.
    public var entries: [RosterEntry] {
        let count = manifest?.pageCount ?? (entryPages.keys.max() ?? 0)
        return (0..<count).flatMap { entryPages[$0 + 1] ?? [] }
    }

    /// True when every page the manifest names is held at the `seq` it was signed with.
    public var isComplete: Bool {
        guard let manifest else { return false }
        let held = (0..<manifest.pageCount).map { items[$0 + 1]?.sequenceNumber ?? 0 }
        return RosterManifest.digest(of: held) == manifest.digest
    }

    /// The pages to fetch to become complete (all of them: which one is stale the digest
    /// cannot tell, and a `get` with our `seq` costs little when ours is current).
    public var pagesToRefresh: [Int] {
        guard let manifest else { return [0] }
        return Array(0...manifest.pageCount)
    }

    /// Every held item, manifest first: what a full sync or a repair needs.
    public var heldItems: [MutableItem] {
        items.keys.sorted().compactMap { items[$0] }
    }
}
