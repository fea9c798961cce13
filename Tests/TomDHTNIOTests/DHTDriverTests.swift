import Bencode
import NIOCore
import NIOPosix
import Testing
import TomDHT
@testable import TomDHTNIO
import TomStore

/// The NIO driver over real UDP sockets on 127.0.0.1.
@Suite(.serialized, .timeLimit(.minutes(1))) struct DHTDriverTests {
    @Test func pingAndFindNode() async throws {
        let drivers = try await TestDrivers.network(5)
        let answered = try await drivers[3].ping(drivers[0].localAddress)
        #expect(answered?.id == drivers[0].nodeID)
        #expect(answered?.address == drivers[0].localAddress)

        let result = try await drivers[4].findNode(drivers[2].nodeID)
        #expect(result.closestNodes.first?.id == drivers[2].nodeID)
        #expect(Set(result.closestNodes.map(\.id)).isSuperset(of: [drivers[0].nodeID, drivers[1].nodeID, drivers[3].nodeID]))
        await TestDrivers.shutdown(drivers)
    }

    @Test func mutableAndImmutableItemsTravel() async throws {
        let drivers = try await TestDrivers.network(5)
        var generator = SystemRandomNumberGenerator()
        let key = ItemSigningKey.random(using: &generator)
        let salt = Array("room".utf8)
        let value = CanonicalBencode(.string("hello from driver 1"))

        let (item, stored) = try await drivers[1].putMutable(value: value, salt: salt, key: key)
        #expect(stored.attempted >= 4)
        #expect(stored.stored == stored.attempted)
        #expect(stored.errors.isEmpty)
        // The default seq is the wall clock in microseconds (after 2020-01-01).
        #expect(item.sequenceNumber > 1_577_836_800_000_000)

        let found = try await drivers[4].getMutable(publicKey: key.publicKey, salt: salt)
        guard case .mutable(let got) = found.item else {
            Issue.record("no mutable item found: \(String(describing: found.item))")
            await TestDrivers.shutdown(drivers)
            return
        }
        #expect(got.value == value)
        #expect(got.sequenceNumber == item.sequenceNumber)
        #expect(got.salt == salt)

        // An older seq is refused with 302 by the three other nodes holding the newer one;
        // only driver 1, which put the item but does not store its own puts, accepts it.
        let (_, stale) = try await drivers[2].putMutable(value: value, salt: salt, key: key, sequenceNumber: 1)
        #expect(stale.stored == 1)
        #expect(stale.errors.count == 3 && stale.errors.allSatisfy { $0.code == .sequenceNumberLessThanCurrent })

        let immutable = CanonicalBencode(.list([.string("immutable"), .integer(42)]))
        let put = try await drivers[3].putImmutable(immutable)
        #expect(put.target == ItemTarget.immutable(immutable))
        #expect(put.stored >= 4)
        let fetched = try await drivers[0].get(put.target)
        #expect(fetched.item == .immutable(ImmutableItem(value: immutable)))
        await TestDrivers.shutdown(drivers)
    }

    @Test func announceAndGetPeers() async throws {
        let drivers = try await TestDrivers.network(5)
        let infoHash = DHTTarget.infoHash(fromTopicOrHash: "tom-test-topic")
        #expect(infoHash == DHTTarget.topicHash("tom-test-topic"))
        let explicit = try await drivers[2].announce(infoHash, port: 4242)
        #expect(explicit.stored >= 4)
        let implied = try await drivers[1].announce(infoHash)
        #expect(implied.stored >= 4)

        let peers = try await drivers[3].getPeers(infoHash).peers
        #expect(peers.contains(DHTAddress(ip: .v4(IPv4Address(127, 0, 0, 1)), port: 4242)))
        #expect(peers.contains(drivers[1].localAddress))
        await TestDrivers.shutdown(drivers)
    }

    @Test func routingTableSurvivesARestart() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let directory = DataDirectory(path: path)
        let others = [try await TestDrivers.start(), try await TestDrivers.start(), try await TestDrivers.start()]

        let first = try await TestDrivers.start(dataDirectory: directory)
        #expect(first.restoredNodeCount == 0)
        #expect(try await first.waitForRestoration() == nil)
        _ = try await first.bootstrap(contacts: others.map(\.localAddress))
        try await eventually("all three are confirmed") { try await first.status().confirmedNodes == 3 }
        let firstID = first.nodeID
        await first.shutdown()

        let saved = try #require(try RoutingTableFile.load(from: directory))
        #expect(saved.ownID == firstID)
        #expect(Set(saved.nodes.map(\.id)) == Set(others.map(\.nodeID)))

        // The same data directory, a new process-like start with no bootstrap hosts at all.
        let second = try await TestDrivers.start(dataDirectory: directory)
        #expect(second.nodeID == firstID)
        #expect(second.restoredNodeCount == 3)
        let restored = try #require(try await second.waitForRestoration())
        #expect(restored.contactsAnswered == 3)
        let entries = try await second.routingTableEntries()
        #expect(Set(entries.filter(\.isConfirmed).map(\.id)) == Set(others.map(\.nodeID)))
        await second.shutdown()
        await TestDrivers.shutdown(others)
    }

    @Test func joinResolvesNamesAndReportsBadOnes() async throws {
        let hub = try await TestDrivers.start()
        let driver = try await TestDrivers.start()
        await #expect(throws: DHTDriverError.self) {
            try await driver.bootstrap(hosts: ["not-an-endpoint", "localhost"])
        }
        let summary = try await driver.join(hosts: ["not-an-endpoint", "localhost:\(hub.localAddress.port)"])
        #expect(summary.bootstrap?.contactsAnswered == 1)
        let quick = try await TestDrivers.start()
        let quickly = try await quick.join(hosts: ["127.0.0.1:\(hub.localAddress.port)"], waitForSelfLookup: false)
        #expect(quickly.bootstrap == nil && quickly.routingTableSize >= 1)
        await quick.shutdown()
        #expect(try await driver.status().routingTableSize >= 1)
        await driver.shutdown()
        await hub.shutdown()
    }

    @Test func joinRetriesUntilCancelled() async throws {
        let driver = try await TestDrivers.start()
        let task = Task { try await driver.join(hosts: ["bad"]) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        await driver.shutdown()
        // After shutdown, operations fail cleanly instead of hanging.
        await #expect(throws: DHTDriverError.shutDown) { try await driver.findNode(driver.nodeID) }
    }

    @Test func oversizedAndGarbageDatagramsAreDropped() async throws {
        let driver = try await TestDrivers.start()
        let client = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let destination = SocketAddress(driver.localAddress)
        for payload in [[UInt8](repeating: 0x64, count: 3000), Array("garbage".utf8), []] {
            var buffer = client.allocator.buffer(capacity: payload.count)
            buffer.writeBytes(payload)
            try await client.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: buffer))
        }
        try await eventually("both datagrams are seen") {
            let status = try await driver.status()
            return status.oversizedDatagrams == 1 && status.statistics.malformedDatagrams >= 1
        }
        // Still serving.
        let other = try await TestDrivers.start()
        #expect(try await other.ping(driver.localAddress)?.id == driver.nodeID)
        try await client.close()
        await other.shutdown()
        await driver.shutdown()
    }

    @Test func endpointParsing() {
        #expect(BootstrapResolver.split("router.bittorrent.com:6881")! == ("router.bittorrent.com", 6881))
        #expect(BootstrapResolver.split("[::1]:25401")! == ("::1", 25401))
        #expect(BootstrapResolver.split("nohost") == nil)
        #expect(BootstrapResolver.split("host:0") == nil)
        #expect(BootstrapResolver.split("host:70000") == nil)
        #expect(BootstrapResolver.literal("127.0.0.1:9") == DHTAddress(ip: .v4(IPv4Address(127, 0, 0, 1)), port: 9))
        let hash = String(repeating: "ab", count: 20)
        #expect(DHTTarget.infoHash(fromTopicOrHash: hash).hex == hash)
        #expect(DHTTarget.topicHash("abc").hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func addressConversionRoundTrips() throws {
        let v4 = DHTAddress(ip: .v4(IPv4Address(10, 1, 2, 3)), port: 6881)
        #expect(DHTAddress(SocketAddress(v4)) == v4)
        let v6 = DHTAddress(ip: .v6(IPv6Address("2001:db8::7")!), port: 443)
        #expect(DHTAddress(SocketAddress(v6)) == v6)
        let mapped = try SocketAddress(ipAddress: "::ffff:192.0.2.1", port: 80)
        #expect(DHTAddress(mapped) == DHTAddress(ip: .v4(IPv4Address(192, 0, 2, 1)), port: 80))
    }
}
