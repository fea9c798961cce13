/// Every tunable of the routing table, with BEP 5 defaults in one place.
public struct RoutingTableSettings: Sendable, Hashable {
    /// k: nodes per bucket.
    public var bucketSize: Int
    /// Candidates kept per bucket to replace nodes that go bad.
    public var replacementCacheSize: Int
    /// How long a response (or a query from a node that has responded before) keeps a
    /// node good; after that it is questionable.
    public var goodNodeWindow: DHTDuration
    /// Consecutive unanswered queries after which a node is bad. BEP 5 suggests retrying
    /// once before giving up, hence 2.
    public var maxConsecutiveFailures: Int
    /// A bucket unchanged for this long should be refreshed with a lookup inside it.
    public var bucketRefreshInterval: DHTDuration
    /// Allow at most one node per IP address in each bucket, so one host cannot fill a
    /// bucket with many ids.
    public var restrictRoutingIPs: Bool
    /// Exempt loopback, private and link-local addresses from `restrictRoutingIPs`, so local
    /// test networks and LAN peers work.
    public var exemptPrivateAddresses: Bool

    public init(
        bucketSize: Int = 8,
        replacementCacheSize: Int = 8,
        goodNodeWindow: DHTDuration = .minutes(15),
        maxConsecutiveFailures: Int = 2,
        bucketRefreshInterval: DHTDuration = .minutes(15),
        restrictRoutingIPs: Bool = true,
        exemptPrivateAddresses: Bool = true
    ) {
        self.bucketSize = max(1, bucketSize)
        self.replacementCacheSize = max(0, replacementCacheSize)
        self.goodNodeWindow = goodNodeWindow
        self.maxConsecutiveFailures = max(1, maxConsecutiveFailures)
        self.bucketRefreshInterval = bucketRefreshInterval
        self.restrictRoutingIPs = restrictRoutingIPs
        self.exemptPrivateAddresses = exemptPrivateAddresses
    }

    /// Whether the one-node-per-IP rule applies to `ip`.
    func restrictsIP(_ ip: IPAddress) -> Bool {
        restrictRoutingIPs && !(exemptPrivateAddresses && ip.isLocalNetwork)
    }
}
