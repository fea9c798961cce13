import Bencode
import Logging
import NIOCore
import NIOPosix
import Testing
import TomDHT
@testable import TomDHTNIO
import TomStore

/// Answers every query with a plain response that claims it saw the sender at `claimed`,
/// so a driver on loopback can be told a public external address (BEP 42 `ip`).
final class ClaimingResponder: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let id: NodeID
    let claimed: DHTAddress

    init(id: NodeID, claimed: DHTAddress) {
        self.id = id
        self.claimed = claimed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let message = try? KRPCMessage.decode(Array(envelope.data.readableBytesView)), message.query != nil else { return }
        let reply = KRPCMessage(transactionID: message.transactionID, kind: .response(KRPCResponse(senderID: id)), requesterAddress: claimed)
        let buffer = context.channel.allocator.buffer(bytes: reply.encoded())
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)), promise: nil)
    }

    /// Binds `host` (a loopback address of its own, so each responder is a distinct voter).
    static func start(host: String, id: NodeID, claimed: DHTAddress) async throws -> any Channel {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClaimingResponder(id: id, claimed: claimed))
                }
            }
            .bind(host: host, port: 0)
            .get()
    }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct DriverIdentityAndRepublishTests {
    static let external = DHTAddress(ip: .v4(IPv4Address(203, 0, 113, 7)), port: 6881)

    @Test func aBEP42IDIsTakenAndSavedWithTheTable() async throws {
        let path = temporaryDirectory()
        defer { removeDirectory(path) }
        let directory = DataDirectory(path: path)
        var generator = DHTRandom(seed: 12)
        var responders: [any Channel] = []
        for host in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            responders.append(try await ClaimingResponder.start(host: host, id: .random(using: &generator), claimed: Self.external))
        }
        let driver = try await TestDrivers.start(dataDirectory: directory)
        let original = driver.nodeID
        for responder in responders {
            let address = try #require(responder.localAddress.flatMap(DHTAddress.init))
            #expect(try await driver.ping(address) != nil)
        }
        let changed = try await driver.status().nodeID
        #expect(changed != original)
        #expect(NodeIDSecurity.idMatches(changed, ip: Self.external.ip))
        // Saved at once, before any periodic save or shutdown.
        #expect(try RoutingTableFile.load(from: directory)?.ownID == changed)

        await driver.shutdown()
        let restarted = try await TestDrivers.start(dataDirectory: directory)
        #expect(restarted.nodeID == changed)
        await restarted.shutdown()
        for responder in responders { try? await responder.close() }
    }

    /// Nodes that forget items and peers after 1.5 s; the publisher re-puts every 300 ms.
    static func shortLivedNetwork(_ count: Int) async throws -> [DHTDriver] {
        var configuration = TestDrivers.configuration()
        configuration.dht.itemLifetime = .milliseconds(1_500)
        configuration.dht.peerLifetime = .milliseconds(1_500)
        configuration.republishing = RepublishSchedule.Settings(
            itemInterval: .milliseconds(300), announceInterval: .milliseconds(300), retryInterval: .milliseconds(100)
        )
        var drivers: [DHTDriver] = []
        for _ in 0..<count {
            let driver = try await DHTDriver.start(configuration: configuration, logger: TestDrivers.logger)
            if let hub = drivers.first { _ = try await driver.bootstrap(contacts: [hub.localAddress]) }
            drivers.append(driver)
        }
        try await eventually("the hub confirms every node") {
            try await drivers[0].status().confirmedNodes == count - 1
        }
        return drivers
    }

    @Test func keptPublicationsOutliveTheirLifetime() async throws {
        let drivers = try await Self.shortLivedNetwork(4)
        var generator = SystemRandomNumberGenerator()
        let key = ItemSigningKey.random(using: &generator)
        let kept = CanonicalBencode("kept")
        let dropped = CanonicalBencode("dropped")
        let infoHash = NodeID.random(using: &generator)

        #expect(try await drivers[1].putImmutable(kept, keepPublished: true).stored >= 2)
        let (item, _) = try await drivers[1].putMutable(value: CanonicalBencode("mutable"), key: key, keepPublished: true)
        _ = try await drivers[1].announce(infoHash, port: 5555, keepPublished: true)
        _ = try await drivers[1].putImmutable(dropped)
        #expect(try await drivers[1].keptPublications().count == 3)

        // The item put once expires everywhere; meanwhile the kept ones stay.
        try await eventually("the item put once has expired", seconds: 15) {
            try await drivers[2].get(ItemTarget.immutable(dropped)).item == nil
        }
        #expect(try await drivers[3].get(ItemTarget.immutable(kept)).item == .immutable(ImmutableItem(value: kept)))
        let mutable = try await drivers[3].getMutable(publicKey: key.publicKey)
        #expect(mutable.item?.sequenceNumber == item.sequenceNumber)
        #expect(try await drivers[3].getPeers(infoHash).peers == [DHTAddress(ip: drivers[1].localAddress.ip, port: 5555)])

        // Forgotten, it expires too.
        try await drivers[1].stopPublishing(.item(ItemTarget.immutable(kept)))
        try await eventually("the item no longer kept has expired", seconds: 15) {
            try await drivers[2].get(ItemTarget.immutable(kept)).item == nil
        }
        #expect(try await drivers[1].keptPublications().count == 2)
        await TestDrivers.shutdown(drivers)
        await #expect(throws: DHTDriverError.shutDown) {
            try await drivers[1].keepPublished(.immutable(kept))
        }
    }
}
