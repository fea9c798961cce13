/// What every conformance case needs to know about the run.
struct ConformanceSettings: Sendable {
    var server: ServerAddress
    /// How long to wait for each expected event.
    var timeout: Duration
    /// The server's message size limit, for the size cases (0 skips them).
    var maxMessageBytes: Int
    var transcript: Transcript
}
