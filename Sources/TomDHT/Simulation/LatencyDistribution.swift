/// How the virtual network draws each datagram's one-way delay.
public enum LatencyDistribution: Hashable, Sendable {
    /// Uniform over `VirtualNetwork.Settings.latency`.
    case uniform
    /// One of these delays, each equally likely: a quantile table of any distribution
    /// (the simulator builds a log-normal one), so no floating-point maths runs per datagram.
    case quantiles([DHTDuration])
}
