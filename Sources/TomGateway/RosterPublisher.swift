import Bencode
import TomDHT

/// A gateway's own roster as signed pages: what it pushes over links and puts in the DHT.
///
/// Entries keep their page until they leave (first fit, holes reused), so a registration
/// re-signs two items (its page and the manifest) however large the roster is, and a reader
/// merging pages of different ages never sees an entry vanish because it moved.
public struct RosterPublisher: Sendable {
    public let topic: Topic
    public let key: ItemSigningKey
    public private(set) var endpoints: [String]
    /// Entry pages; `pages[0]` is page 1.
    private var pages: [[RosterEntry]] = []
    private var pageOfNode: [String: Int] = [:]
    /// The current signed item of every page, manifest at index 0.
    public private(set) var items: [Int: MutableItem] = [:]
    private var lastSequenceNumber: Int64 = 0

    public init(topic: Topic, key: ItemSigningKey, endpoints: [String], now: Int64) {
        self.topic = topic
        self.key = key
        self.endpoints = endpoints
        _ = signManifest(now: now)
    }

    /// Every current item, manifest first: a full sync for a new link or a republish.
    public var currentItems: [MutableItem] {
        items.keys.sorted().compactMap { items[$0] }
    }

    public var entryCount: Int { pageOfNode.count }

    /// Whether `entry` fits a page on its own. One that does not (a username of most of a
    /// kilobyte) stays visible to its own gateway's clients only.
    public static func canPublish(_ entry: RosterEntry) -> Bool {
        fits([entry])
    }

    /// Adds or replaces the entry of `entry.nodeId`, which must pass `canPublish`; returns
    /// the items that changed.
    public mutating func upsert(_ entry: RosterEntry, now: Int64) -> [MutableItem] {
        guard Self.canPublish(entry) else { return remove(nodeId: entry.nodeId, now: now) }
        var changed: Set<Int> = []
        if let page = pageOfNode[entry.nodeId] {
            let slot = pages[page].firstIndex { $0.nodeId == entry.nodeId }!
            var candidate = pages[page]
            candidate[slot] = entry
            if Self.fits(candidate) {
                pages[page] = candidate
                return sign(pages: [page], now: now)
            }
            pages[page].remove(at: slot)
            pageOfNode[entry.nodeId] = nil
            changed.insert(page)
        }
        let page = pages.indices.first { Self.fits(pages[$0] + [entry]) } ?? {
            pages.append([])
            return pages.count - 1
        }()
        pages[page].append(entry)
        pageOfNode[entry.nodeId] = page
        changed.insert(page)
        return sign(pages: changed, now: now)
    }

    /// Removes `nodeId`'s entry, if any; returns the items that changed.
    public mutating func remove(nodeId: String, now: Int64) -> [MutableItem] {
        guard let page = pageOfNode.removeValue(forKey: nodeId) else { return [] }
        pages[page].removeAll { $0.nodeId == nodeId }
        var changed: Set<Int> = [page]
        while let last = pages.last, last.isEmpty {
            pages.removeLast()
            items[pages.count + 1] = nil
            changed.remove(pages.count)
        }
        return sign(pages: changed, now: now)
    }

    public mutating func setEndpoints(_ endpoints: [String], now: Int64) -> [MutableItem] {
        self.endpoints = endpoints
        return [signManifest(now: now)]
    }

    /// A manifest that tells readers this gateway has left, for a clean shutdown.
    public mutating func withdraw(now: Int64) -> MutableItem {
        signManifest(now: now, withdrawn: true)
    }

    // MARK: - Signing

    private mutating func sign(pages changed: Set<Int>, now: Int64) -> [MutableItem] {
        var signed: [MutableItem] = []
        for page in changed.sorted() {
            let item = MutableItem.signed(
                value: RosterPage.entries(pages[page]).encoded,
                salt: topic.rosterSalt(page: page + 1),
                sequenceNumber: nextSequenceNumber(now: now),
                key: key)
            items[page + 1] = item
            signed.append(item)
        }
        // The manifest goes last: a reader that sees it can already hold the pages it names.
        signed.append(signManifest(now: now))
        return signed
    }

    private mutating func signManifest(now: Int64, withdrawn: Bool = false) -> MutableItem {
        let sequenceNumbers = pages.indices.map { items[$0 + 1]?.sequenceNumber ?? 0 }
        let manifest = RosterManifest(
            pageCount: pages.count,
            digest: RosterManifest.digest(of: sequenceNumbers),
            endpoints: endpoints,
            withdrawn: withdrawn)
        let item = MutableItem.signed(
            value: RosterPage.manifest(manifest).encoded,
            salt: topic.rosterSalt(page: 0),
            sequenceNumber: nextSequenceNumber(now: now),
            key: key)
        items[0] = item
        return item
    }

    /// Microseconds since the epoch, strictly increasing: a restarted gateway never goes back.
    private mutating func nextSequenceNumber(now: Int64) -> Int64 {
        lastSequenceNumber = max(now, lastSequenceNumber + 1)
        return lastSequenceNumber
    }

    static func fits(_ entries: [RosterEntry]) -> Bool {
        entries.count <= RosterPage.maxEntriesPerPage
            && RosterPage.entries(entries).encoded.bytes.count <= RosterPage.maxValueBytes
    }
}
