/// Bounds on what we send in answers, so that no query can make us send much more than it
/// cost (amplification; figures in Docs/dht.md, "Abuse limits").
extension KRPCLimits {
    /// BEP 5: the K = 8 closest nodes per family (`nodes`, `nodes6`), even when our own
    /// lookups are configured to track more.
    public static let nodesPerAnswer = 8
}
