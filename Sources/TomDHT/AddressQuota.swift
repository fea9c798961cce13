/// How many live entries of one store each source address is responsible for, so that one
/// address cannot fill a store that is shared by everyone.
///
/// An entry belongs to the address that last stored it (announced it, put it). A store asks
/// `admits` before storing and reports every insertion and removal (eviction and expiry
/// included), so the counts are exact and the table only holds addresses with live entries:
/// its size is bounded by the store's own bound.
struct AddressQuota<Key: Hashable & Sendable>: Sendable {
    /// Entries one address may own; `Int.max` turns the quota off.
    let maxPerAddress: Int
    /// Whether loopback addresses count too; off, local tests and tools are never refused.
    let limitsLoopback: Bool
    private var ownerByKey: [Key: IPAddress] = [:]
    private var countByOwner: [IPAddress: Int] = [:]

    init(maxPerAddress: Int, limitsLoopback: Bool) {
        self.maxPerAddress = max(1, maxPerAddress)
        self.limitsLoopback = limitsLoopback
    }

    /// Whether `address` may store `key`: always when it already owns it (a refresh), else
    /// while it owns fewer than `maxPerAddress` entries.
    func admits(_ key: Key, by address: IPAddress?) -> Bool {
        guard let address, limitsLoopback || !address.isLoopback else { return true }
        if ownerByKey[key] == address { return true }
        return countByOwner[address, default: 0] < maxPerAddress
    }

    /// `key` was stored (or refreshed) by `address`; nil when nobody is accountable (our own data).
    mutating func stored(_ key: Key, by address: IPAddress?) {
        guard ownerByKey[key] != address else { return }
        removed(key)
        guard let address else { return }
        ownerByKey[key] = address
        countByOwner[address, default: 0] += 1
    }

    /// `key` left the store, for whatever reason.
    mutating func removed(_ key: Key) {
        guard let owner = ownerByKey.removeValue(forKey: key) else { return }
        let remaining = countByOwner[owner, default: 1] - 1
        countByOwner[owner] = remaining > 0 ? remaining : nil
    }

    /// Live entries owned by `address`.
    func count(of address: IPAddress) -> Int {
        countByOwner[address, default: 0]
    }

    /// Addresses that own at least one live entry.
    var addressCount: Int { countByOwner.count }
}
