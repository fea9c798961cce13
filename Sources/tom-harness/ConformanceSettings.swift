/// What every conformance case needs to know about the run.
struct ConformanceSettings: Sendable {
    /// The servers: one, or several gateways of one network, over which each case spreads its
    /// clients round robin (the first client of a case always goes to the first server).
    var servers: [ServerAddress]
    /// How long to wait for each expected event.
    var timeout: Duration
    /// The server's message size limit, for the size cases (0 skips them).
    var maxMessageBytes: Int
    var transcript: Transcript

    /// Where HTTP requests go.
    var server: ServerAddress { servers[0] }
}
