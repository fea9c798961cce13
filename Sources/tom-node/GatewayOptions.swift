import ArgumentParser
import TomGateway
import TomGatewayNIO

/// How a peer serves old clients from the DHT, and how a seed turns into a peer.
struct GatewayOptions: ParsableArguments {
    @Option(help: "The ToM network's name; its DHT address is SHA-1(\"tom-topic:v1:\" + NAME).")
    var topic: String = Topic.defaultName

    @Flag(help: "Peer mode: do not serve legacy WebSocket clients (HTTP endpoints and gateway links stay).")
    var noLegacy = false

    @Option(help: "Seed mode: turn into a peer after this many seconds (also on SIGUSR1 or POST /admin/degrade from loopback).")
    var degradeAfter: Int?

    @Option(help: "Comma-separated host:port of gateways to link to without waiting for the DHT.")
    var gateway: String = ""

    @Option(help: "Seconds between DHT refreshes: member lookup and roster repair (bounds how long a lost push stays lost).")
    var gatewayRefresh: Int = Int(GatewaySettings().refreshInterval.components.seconds)

    @Option(help: "Seconds a gateway whose link dropped stays in the participants list while it reconnects.")
    var linkGrace: Int = Int(MeshHub.Settings().linkGrace.components.seconds)

    @Option(help: "Comma-separated URLs this gateway advertises in its roster manifest. (default: ws://HOST:PORT unless --host is a wildcard)")
    var advertise: String?

    var settings: GatewaySettings {
        var settings = GatewaySettings()
        settings.refreshInterval = .seconds(gatewayRefresh)
        settings.staticGateways = Self.list(gateway)
        return settings
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0.drop(while: \.isWhitespace)) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard !topic.isEmpty, topic.utf8.count <= 256 else { throw ValidationError("--topic must be 1...256 bytes") }
        if let degradeAfter, !(0...31_536_000).contains(degradeAfter) {
            throw ValidationError("--degrade-after must be 0...31536000 seconds, got \(degradeAfter)")
        }
        guard (1...3600).contains(gatewayRefresh) else {
            throw ValidationError("--gateway-refresh must be 1...3600 seconds, got \(gatewayRefresh)")
        }
        guard (0...600).contains(linkGrace) else { throw ValidationError("--link-grace must be 0...600 seconds, got \(linkGrace)") }
        for entry in Self.list(gateway) where !entry.contains(":") {
            throw ValidationError("--gateway: '\(entry)' is not host:port")
        }
    }
}
