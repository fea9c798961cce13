import Bencode
import Logging
import NIOCore
import Synchronization
import TomDHT
import TomSignaling
import Testing
@testable import TomGateway

/// The far end of one gateway link, played by the test: frames it feeds reach the session
/// under test, frames the session sends are read back with `next()`.
final class ScriptedLinkEnd: Sendable {
    let frames: AsyncThrowingStream<[UInt8], any Error>
    private let feed: AsyncThrowingStream<[UInt8], any Error>.Continuation
    private let sent: AsyncStream<[UInt8]>
    private let sentSink: AsyncStream<[UInt8]>.Continuation
    private let closedFlag = Atomic<Bool>(false)

    init() {
        (frames, feed) = AsyncThrowingStream.makeStream(of: [UInt8].self)
        (sent, sentSink) = AsyncStream.makeStream(of: [UInt8].self)
    }

    /// What the session writes; closing it ends the session's frames, as a socket would.
    var transport: LinkTransport {
        LinkTransport(
            send: { [sentSink] bytes in sentSink.yield(bytes) },
            close: { [self] in
                closedFlag.store(true, ordering: .relaxed)
                feed.finish()
                sentSink.finish()
            },
            remote: "scripted")
    }

    func deliver(_ message: LinkMessage) {
        feed.yield(message.encoded)
    }

    func deliver(bytes: [UInt8]) {
        feed.yield(bytes)
    }

    /// The next frame the session sent, decoded; nil once the transport closed.
    func next() async -> LinkMessage? {
        var iterator = sent.makeAsyncIterator()
        guard let bytes = await iterator.next() else { return nil }
        return try? LinkMessage.decode(bytes)
    }

    var isClosed: Bool { closedFlag.load(ordering: .relaxed) }
}

/// A gateway under test and helpers to play a hostile one against it.
struct LinkTarget {
    let key = ItemSigningKey(seed: [UInt8](repeating: 0x51, count: 32))!
    let attacker = ItemSigningKey(seed: [UInt8](repeating: 0x61, count: 32))!
    let topic = Topic(name: "hostile")
    let hub: MeshHub
    let session: LinkSession

    init(handshakeTimeout: Duration = .seconds(5), maxUnconfirmedSignals: Int = 65_536) {
        var settings = MeshHub.Settings()
        settings.maxUnconfirmedSignals = maxUnconfirmedSignals
        settings.linkGrace = .zero
        settings.leaveDelay = .zero  // a leave is announced at once, so outcomes show at once
        hub = MeshHub(key: key, topic: topic, endpoints: [], settings: settings, clock: TestClock().read)
        var linkSettings = LinkSession.Settings()
        linkSettings.handshakeTimeout = handshakeTimeout
        var logger = Logger(label: "hostile-link")
        logger.logLevel = .critical
        session = LinkSession(hub: hub, key: key, topic: topic, settings: linkSettings, logger: logger)
    }

    /// Runs the accepting side against `end` in a task.
    func accept(_ end: ScriptedLinkEnd) -> Task<GatewayKey, any Error> {
        Task { [session] in try await session.accept(frames: end.frames, over: end.transport) }
    }

    /// Plays a correct initiator as `signer` up to an admitted link.
    func handshake(_ end: ScriptedLinkEnd, as signer: ItemSigningKey) async throws {
        let nonce = [UInt8](repeating: 0x4E, count: LinkHandshake.nonceLength)
        end.deliver(.hello(key: signer.publicKey, nonce: nonce, topic: topic.hash))
        guard case .welcome(let theirKey, let theirNonce, _)? = await end.next() else { throw TestFailure("no welcome") }
        let handshake = LinkHandshake(topic: topic.hash, initiatorKey: signer.publicKey, initiatorNonce: nonce,
                                      acceptorKey: theirKey, acceptorNonce: theirNonce)
        end.deliver(.proof(signature: signer.sign(handshake.proofTranscript)))
    }

    /// A link from `signer` admitted by the hub directly, for hub-level cases.
    func linkDirectly(_ signer: ItemSigningKey, onClose: @escaping @Sendable () -> Void = {}) async -> GatewayLink {
        let link = GatewayLink(key: GatewayKey(signer.publicKey)!, weInitiated: false, outboxLimitBytes: 1 << 20, close: onClose)
        _ = await hub.linkUp(link)
        _ = link.outbox.takeAll()
        return link
    }

    /// Waits (bounded) until the hub holds `count` links.
    func waitForLinks(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while await hub.linkedGateways().count != count {
            guard ContinuousClock.now < deadline else { throw TestFailure("hub never held \(count) links") }
            await Task.yield()
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite(.timeLimit(.minutes(1))) struct HostileLinkHandshakeTests {
    @Test("H-LINK-03 a hello for another topic fails the handshake; no link")
    func wrongTopic() async throws {
        let target = LinkTarget()
        let end = ScriptedLinkEnd()
        let running = target.accept(end)
        end.deliver(.hello(key: target.attacker.publicKey, nonce: [UInt8](repeating: 1, count: 32), topic: Topic(name: "other").hash))
        await #expect(throws: LinkSession.Failure.handshake("the other gateway serves another topic")) { try await running.value }
        #expect(end.isClosed)
        #expect(await target.hub.linkedGateways().isEmpty)
    }

    @Test("H-LINK-04 a welcome whose signature does not verify is refused by the dialling side")
    func forgedWelcome() async throws {
        let target = LinkTarget()
        let end = ScriptedLinkEnd()
        let running = Task { [session = target.session] in try await session.initiate(frames: end.frames, over: end.transport) }
        guard case .hello? = await end.next() else { throw TestFailure("no hello") }
        end.deliver(.welcome(key: target.attacker.publicKey, nonce: [UInt8](repeating: 2, count: 32), signature: [UInt8](repeating: 7, count: 64)))
        await #expect(throws: LinkSession.Failure.handshake("welcome signature does not verify")) { try await running.value }
        #expect(await target.hub.linkedGateways().isEmpty)
    }

    @Test("H-LINK-05 a proof that does not verify (a key the peer cannot prove) is refused; no link")
    func forgedProof() async throws {
        let target = LinkTarget()
        let end = ScriptedLinkEnd()
        let running = target.accept(end)
        end.deliver(.hello(key: target.attacker.publicKey, nonce: [UInt8](repeating: 1, count: 32), topic: target.topic.hash))
        guard case .welcome? = await end.next() else { throw TestFailure("no welcome") }
        // Signed by another key than the one claimed in hello.
        let impostor = ItemSigningKey(seed: [UInt8](repeating: 0x71, count: 32))!
        end.deliver(.proof(signature: impostor.sign([1, 2, 3])))
        await #expect(throws: LinkSession.Failure.handshake("proof signature does not verify")) { try await running.value }
        #expect(await target.hub.linkedGateways().isEmpty)
    }

    @Test("H-LINK-07 a peer proving the gateway's own key is refused")
    func ownKey() async throws {
        let target = LinkTarget()
        let end = ScriptedLinkEnd()
        let running = target.accept(end)
        try await target.handshake(end, as: target.key)
        await #expect(throws: LinkSession.Failure.ownKey) { try await running.value }
        #expect(await target.hub.linkedGateways().isEmpty)
    }

    @Test("H-LINK-08 frames before the handshake (items first) fail it")
    func framesBeforeHandshake() async throws {
        let target = LinkTarget()
        let end = ScriptedLinkEnd()
        let running = target.accept(end)
        end.deliver(.items([]))
        await #expect(throws: LinkSession.Failure.handshake("expected hello")) { try await running.value }
        #expect(await target.hub.linkedGateways().isEmpty)
    }

    @Test("H-LINK-09 a peer that never says hello is closed at the handshake timeout")
    func silentPeer() async throws {
        let target = LinkTarget(handshakeTimeout: .milliseconds(200))
        let end = ScriptedLinkEnd()
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) { try await target.accept(end).value }
        // 200 ms, with plenty of room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(end.isClosed)
    }

    @Test("H-LINK-20 handshake frames after the handshake are ignored; the link stays")
    func handshakeFramesAfterHandshake() async throws {
        let target = LinkTarget()
        let end = ScriptedLinkEnd()
        let running = target.accept(end)
        try await target.handshake(end, as: target.attacker)
        try await target.waitForLinks(1)
        end.deliver(.hello(key: target.key.publicKey, nonce: [UInt8](repeating: 3, count: 32), topic: target.topic.hash))
        end.deliver(.proof(signature: [UInt8](repeating: 0, count: 64)))
        end.deliver(.keepalive)
        try await target.waitForLinks(1)
        #expect(await target.hub.linkedGateways() == [GatewayKey(target.attacker.publicKey)!])
        end.deliver(.bye)
        try await target.waitForLinks(0)
        running.cancel()
    }

    @Test("H-LINK-22 a malformed frame after the handshake closes that link only")
    func malformedFrameClosesTheLink() async throws {
        let target = LinkTarget()
        let end = ScriptedLinkEnd()
        let running = target.accept(end)
        try await target.handshake(end, as: target.attacker)
        try await target.waitForLinks(1)
        end.deliver(bytes: Array("d1:y5:itemse".utf8))  // items without its list
        #expect(try await running.value == GatewayKey(target.attacker.publicKey)!)
        #expect(end.isClosed)
        #expect(await target.hub.linkedGateways().isEmpty)
        // The hub still serves its own clients.
        let client = TestClient(id: 1)
        await target.hub.receive(register("local"), from: client.session)
        #expect(client.received().last?.contains(#""nodeId":"local""#) == true)
    }
}

@Suite struct HostileLinkFrameTests {
    @Test("H-LINK-18 an items frame with more than 4096 items is refused unread")
    func tooManyItems() {
        let entry = "d1:k32:" + String(repeating: "k", count: 32) + "4:salt0:3:seqi1e3:sig64:" + String(repeating: "s", count: 64) + "1:vi1ee"
        let frame = "d1:il" + String(repeating: entry, count: 4097) + "e1:y5:itemse"
        #expect(throws: GatewayRecordError.self) { try LinkMessage.decode(Array(frame.utf8)) }
        let fits = "d1:il" + String(repeating: entry, count: 4096) + "e1:y5:itemse"
        #expect((try? LinkMessage.decode(Array(fits.utf8))) != nil)
    }

    @Test("H-LINK-23 a frame nested deeper than 32 levels is refused")
    func deeplyNestedFrame() {
        let nested = "d1:m" + String(repeating: "l", count: 40) + String(repeating: "e", count: 40) + "1:y2:bce"
        #expect(throws: GatewayRecordError.self) { try LinkMessage.decode(Array(nested.utf8)) }
        let deepest = "d1:y2:ka1:z" + String(repeating: "l", count: 100_000) + String(repeating: "e", count: 100_000) + "e"
        #expect(throws: GatewayRecordError.self) { try LinkMessage.decode(Array(deepest.utf8)) }
    }
}

@Suite struct HostileLinkContentTests {
    func entry(_ nodeId: String, at time: Int64) -> RosterEntry {
        RosterEntry(participant: Participant(nodeId: nodeId, username: "u-\(nodeId)"), registeredAt: time)
    }

    /// A local client of the target hub, with what it received so far drained.
    func localClient(_ target: LinkTarget, _ nodeId: String) async -> TestClient {
        let client = TestClient(id: 77)
        await target.hub.receive(register(nodeId), from: client.session)
        _ = client.received()
        return client
    }

    @Test("H-LINK-10 pushed roster items with a forged signature are refused; nothing changes")
    func forgedItems() async {
        let target = LinkTarget()
        let local = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        var publisher = RosterPublisher(topic: target.topic, key: target.attacker, endpoints: [], now: 1)
        var items = publisher.upsert(entry("intruder", at: 5), now: 5)
        for index in items.indices { items[index].signature[3] ^= 1 }
        await target.hub.received(.items(items), from: link)
        #expect(await target.hub.participants().map(\.nodeId) == ["local"])
        #expect(local.received().isEmpty)
    }

    @Test("H-LINK-11 pushed roster items of another topic are refused")
    func foreignTopicItems() async {
        let target = LinkTarget()
        let local = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        var publisher = RosterPublisher(topic: Topic(name: "elsewhere"), key: target.attacker, endpoints: [], now: 1)
        await target.hub.received(.items(publisher.upsert(entry("intruder", at: 5), now: 5)), from: link)
        #expect(await target.hub.participants().map(\.nodeId) == ["local"])
        #expect(local.received().isEmpty)
    }

    @Test("H-LINK-12 a replayed older roster version is ignored; the newer stays")
    func replayedOlderVersion() async {
        let target = LinkTarget()
        _ = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        var publisher = RosterPublisher(topic: target.topic, key: target.attacker, endpoints: [], now: 1)
        let withGhost = publisher.upsert(entry("ghost", at: 5), now: 5)
        let withoutGhost = publisher.remove(nodeId: "ghost", now: 6)
        await target.hub.received(.items(withGhost), from: link)
        await target.hub.received(.items(withoutGhost), from: link)
        let afterRemoval = await target.hub.participants().map(\.nodeId)
        #expect(afterRemoval == ["local"])
        await target.hub.received(.items(withGhost), from: link)
        #expect(await target.hub.participants().map(\.nodeId) == ["local"])
    }

    @Test("H-LINK-13 valid items of a gateway that is not linked, relayed by one that is, show nobody")
    func relayedItemsOfAnUnlinkedGateway() async {
        let target = LinkTarget()
        _ = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        let absent = ItemSigningKey(seed: [UInt8](repeating: 0x81, count: 32))!
        var publisher = RosterPublisher(topic: target.topic, key: absent, endpoints: [], now: 1)
        await target.hub.received(.items(publisher.upsert(entry("phantom", at: 5), now: 5)), from: link)
        #expect(await target.hub.participants().map(\.nodeId) == ["local"])
    }

    @Test("H-LINK-14 a broadcast frame that is not a heartbeat or role-assign reaches no client")
    func broadcastOfOtherMessages() async {
        let target = LinkTarget()
        let local = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        for text in [#"{"type":"register","nodeId":"x","username":"y"}"#, #"{"type":"signal","from":"a","to":"local"}"#,
                     #"{"type":"participants","participants":[]}"#, "not json", "", #"{"type":"heartbeat""#] {
            await target.hub.received(.broadcast(message: Array(text.utf8)), from: link)
        }
        #expect(local.received().isEmpty)
        await target.hub.received(.broadcast(message: Array(#"{"type":"heartbeat","from":"remote"}"#.utf8)), from: link)
        #expect(local.received() == [#"{"type":"heartbeat","from":"remote"}"#])
    }

    @Test("H-LINK-16 a forwarded signal to nobody here is answered notFound on the link")
    func signalToUnknownTarget() async {
        let target = LinkTarget()
        _ = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        await target.hub.received(.signal(to: "nobody", message: Array(#"{"type":"signal"}"#.utf8), replyTo: 42), from: link)
        let frames = link.outbox.takeAll().compactMap { try? LinkMessage.decode(Array(buffer: $0)) }
        #expect(frames == [.notFound(replyTo: 42), .signalsHandled(1)])
    }

    @Test("H-LINK-17 a notFound naming no pending signal is ignored")
    func strayNotFound() async {
        let target = LinkTarget()
        let local = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        await target.hub.received(.notFound(replyTo: 77), from: link)
        await target.hub.received(.notFound(replyTo: .max), from: link)
        #expect(local.received().isEmpty)
    }

    @Test("H-LINK-24 a correctly signed page whose value is not a roster page is refused")
    func signedGarbagePage() async {
        let target = LinkTarget()
        _ = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        let values: [BencodeValue] = [.integer(1), .string("garbage"), .dictionary(stringKeys: ["f": 1, "r": .list([.integer(3)])]),
                                      .dictionary(stringKeys: ["f": 1, "n": .integer(-1), "d": .bytes([]), "w": .list([])])]
        for (index, value) in values.enumerated() {
            let item = MutableItem.signed(value: CanonicalBencode(value), salt: target.topic.rosterSalt(page: index % 2),
                                          sequenceNumber: Int64(index + 1), key: target.attacker)
            await target.hub.received(.items([item]), from: link)
        }
        #expect(await target.hub.participants().map(\.nodeId) == ["local"])
    }

    @Test("H-LINK-25 a signed page with more entries or bytes than a roster page may hold is refused")
    func overfullPage() async {
        let target = LinkTarget()
        _ = await localClient(target, "local")
        let link = await target.linkDirectly(target.attacker)
        // 33 tiny entries: within BEP 44's 1000 bytes, over the 32 entries of a page.
        let many = (0..<33).map { entry("n\($0)", at: Int64($0 + 1)).bencoded }
        let crowded = MutableItem.signed(value: CanonicalBencode(.dictionary(stringKeys: ["f": 1, "r": .list(many)])),
                                         salt: target.topic.rosterSalt(page: 1), sequenceNumber: 1, key: target.attacker)
        // One entry whose username makes the value longer than BEP 44's 1000 bytes.
        let long = RosterEntry(participant: Participant(nodeId: "big", username: String(repeating: "u", count: 1_200)), registeredAt: 1)
        let bloated = MutableItem.signed(value: CanonicalBencode(.dictionary(stringKeys: ["f": 1, "r": .list([long.bencoded])])),
                                         salt: target.topic.rosterSalt(page: 2), sequenceNumber: 1, key: target.attacker)
        await target.hub.received(.items([crowded, bloated]), from: link)
        #expect(await target.hub.participants().map(\.nodeId) == ["local"])
    }

    @Test("H-LINK-28 a linked gateway that never confirms forwarded signals is cut, and each unconfirmed sender hears peer not found")
    func unconfirmedSignals() async {
        let target = LinkTarget(maxUnconfirmedSignals: 8)
        let closed = Atomic<Bool>(false)
        let link = await target.linkDirectly(target.attacker) { closed.store(true, ordering: .relaxed) }
        var publisher = RosterPublisher(topic: target.topic, key: target.attacker, endpoints: [], now: 1)
        await target.hub.received(.items(publisher.upsert(entry("remote", at: 1), now: 5)), from: link)
        let sender = TestClient(id: 78)
        let notFound = #"{"type":"error","error":"peer not found"}"#
        for _ in 0..<8 { await target.hub.receive(signal(to: "remote", from: "sender"), from: sender.session) }
        await target.hub.received(.signalsHandled(3), from: link)
        for _ in 0..<3 { await target.hub.receive(signal(to: "remote", from: "sender"), from: sender.session) }
        #expect(sender.received().isEmpty && !closed.load(ordering: .relaxed))
        // A ninth unconfirmed signal: this gateway is not confirming.
        await target.hub.receive(signal(to: "remote", from: "sender"), from: sender.session)
        #expect(sender.received() == [notFound] && closed.load(ordering: .relaxed))
        await target.hub.linkDown(link)
        #expect(sender.received().filter { $0 == notFound }.count == 8)
    }

    @Test("H-LINK-26 a linked gateway claiming a nodeId with a far-future registration time cannot take it over")
    func futureRegistrationTime() async {
        let target = LinkTarget()
        let local = await localClient(target, "victim")
        let link = await target.linkDirectly(target.attacker)
        var publisher = RosterPublisher(topic: target.topic, key: target.attacker, endpoints: [], now: 1)
        await target.hub.received(.items(publisher.upsert(entry("victim", at: .max), now: 5)), from: link)
        // Another local client signals the victim: it must reach the victim here.
        let sender = TestClient(id: 78)
        await target.hub.receive(signal(to: "victim", from: "sender"), from: sender.session)
        let reachedVictim = local.received().contains { $0.contains(#""type":"signal""#) }
        // Claims dated beyond the receiving gateway's clock (plus a tolerance) are ignored.
        #expect(reachedVictim)
    }
}
