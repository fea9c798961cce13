import ArgumentParser

@main
struct TomHarness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tom-harness",
        abstract: "Checks ToM signaling servers: the legacy protocol, and a seed's migration onto DHT peers.",
        discussion: """
            Each subcommand prints one line per case or step (PASS/FAIL name (ms) reason) and \
            'N passed, M failed' last; the exit code is 0 only when everything passed, 1 when \
            something failed, 2 for bad arguments or a node that could not be started. See \
            Docs/migration.md, section 'Test harness'.
            """,
        subcommands: [ConformanceCommand.self, MigrateCommand.self]
    )
}
