import ArgumentParser

@main
struct TomLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tom-load",
        abstract: "Load generator for the ToM signaling server (legacy WebSocket protocol).",
        discussion: """
            Progress lines go to stderr once a second; the final summary goes to stdout \
            (as one JSON object with --json). Exits non-zero when the run timed out or \
            did not complete.
            """,
        subcommands: [RelayCommand.self, StormCommand.self, IdleCommand.self]
    )
}
