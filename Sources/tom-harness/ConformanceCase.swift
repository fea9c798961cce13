/// One scenario of the legacy protocol, run against any server.
struct ConformanceCase: Sendable {
    enum Group: String, Sendable {
        /// What the original server did; every implementation must pass these.
        case legacy
        /// Binary frames read as text, as the original did.
        case binary
        /// tom-node's fixes of the original's defects (skipped with --legacy-only).
        case hardening
        /// The opt-in authenticated register (skipped with --legacy-only).
        case auth
        /// A server started with --require-auth; run alone, with --require-auth.
        case requiredAuth = "required-auth"
    }

    let name: String
    let group: Group
    let run: @Sendable (CaseContext) async throws -> Void

    init(_ name: String, group: Group = .legacy, _ run: @escaping @Sendable (CaseContext) async throws -> Void) {
        self.name = name
        self.group = group
        self.run = run
    }

    static let all: [ConformanceCase] =
        httpCases + transportCases + registerCases + signalCases + broadcastCases + inputCases + disconnectCases
        + hardeningCases + authCases
}
