import Testing

@testable import tom_harness

@Suite("tom-harness ServerAddress")
struct ServerAddressTests {
    @Test func parsesHostPortAndIgnoresThePath() throws {
        #expect(try ServerAddress(url: "ws://127.0.0.1:3001") == ServerAddress(host: "127.0.0.1", port: 3001))
        #expect(try ServerAddress(url: "ws://example.org:80/some/path?q=1") == ServerAddress(host: "example.org", port: 80))
        #expect(try ServerAddress(url: "ws://example.org") == ServerAddress(host: "example.org", port: 80))
        #expect(try ServerAddress(url: "ws://[::1]:4000") == ServerAddress(host: "::1", port: 4000))
    }

    @Test func rejectsWhatIsNotAPlainWebSocketURL() {
        for url in ["http://x:1", "wss://x:1", "ws://:1", "ws://x:0", "ws://x:70000", "ws://x:y", "ws://[::1", "ws://[::1]x"] {
            #expect(throws: HarnessError.self, "\(url)") { try ServerAddress(url: url) }
        }
    }

    @Test func printsForTheCommandLine() throws {
        #expect(ServerAddress(host: "::1", port: 5).description == "ws://[::1]:5")
        #expect(ServerAddress(host: "::1", port: 5).hostPort == "[::1]:5")
        #expect(ServerAddress(host: "a", port: 5).hostPort == "a:5")
    }
}
