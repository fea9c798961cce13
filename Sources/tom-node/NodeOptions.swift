import ArgumentParser
import Logging

enum NodeMode: String, ExpressibleByArgument, CaseIterable {
    case seed
    case peer
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct NodeOptions: ParsableArguments {
    @Option(help: "seed: the legacy signaling server. peer: a Mainline DHT node serving old clients from the DHT.")
    var mode: NodeMode = .seed

    @Option(help: "TCP port for HTTP and WebSocket. (default: $PORT, else 3001)")
    var port: Int?

    @Option(help: "Address to listen on.")
    var host: String = "0.0.0.0"

    @Option(help: "Directory for the node identity and state. (default: $TOM_DATA_DIR, else ~/.tom)")
    var dataDir: String?

    @Option(help: "Minimum log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log line format: text or json (one object per line, on standard error).")
    var logFormat: LogFormat = .text

    var resolvedPort: Int {
        port ?? Environment.value("PORT").flatMap(Int.init) ?? 3001
    }

    var resolvedDataDirectory: String {
        dataDir ?? Environment.value("TOM_DATA_DIR") ?? "~/.tom"
    }

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError("--port must be 0...65535, got \(port)")
        }
        if port == nil, let text = Environment.value("PORT") {
            guard let value = Int(text), (0...65535).contains(value) else {
                throw ValidationError("PORT must be a port number 0...65535, got '\(text)'")
            }
        }
        if resolvedDataDirectory.isEmpty {
            throw ValidationError("--data-dir must not be empty")
        }
    }
}
