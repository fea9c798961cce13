import NIOCore
import Synchronization
import TomDHT
import TomSignaling
@testable import TomGateway

/// A counter standing in for the wall clock, so registration times replay exactly.
final class TestClock: Sendable {
    private let microseconds = Atomic<Int64>(1_700_000_000_000_000)

    var read: @Sendable () -> Int64 {
        { self.microseconds.add(1_000, ordering: .relaxed).newValue }
    }
}

/// A legacy client as a hub sees it, with its received messages readable as text.
struct TestClient {
    let session: ClientSession

    init(id: UInt64) {
        session = ClientSession(id: id, remoteAddress: "test", outbox: Outbox(limitBytes: 1 << 20))
    }

    /// Everything received since the last call.
    func received() -> [String] {
        session.outbox.takeAll().map { String(buffer: $0) }
    }
}

/// Several MeshHubs linked in process: frames sent on one end of a link are delivered to
/// the other end when `pump()` runs, in order, so every test replays exactly.
final class MeshFixture: Sendable {
    struct Pair: Sendable {
        let from: Int
        let to: Int
        /// The link as `from`'s hub holds it (frames it sends) and as `to`'s hub holds it.
        let outgoing: GatewayLink
        let incoming: GatewayLink
    }

    let keys: [ItemSigningKey]
    let hubs: [MeshHub]
    let topic = Topic(name: "fixture")
    private let pairs = Mutex<[Pair]>([])
    private let nextClientID = Atomic<UInt64>(0)

    init(gateways: Int, maxLinks: Int = 256, leaveDelay: Duration = .zero, clock: TestClock = TestClock()) {
        var keys: [ItemSigningKey] = []
        var hubs: [MeshHub] = []
        var settings = MeshHub.Settings()
        settings.linkGrace = .zero
        settings.leaveDelay = leaveDelay
        settings.maxLinks = maxLinks
        for index in 0..<gateways {
            let key = ItemSigningKey(seed: [UInt8](repeating: UInt8(index + 1), count: 32))!
            keys.append(key)
            hubs.append(MeshHub(key: key, topic: topic, endpoints: ["ws://127.0.0.1:\(4000 + index)"], settings: settings, clock: clock.read))
        }
        self.keys = keys
        self.hubs = hubs
    }

    func client() -> TestClient {
        TestClient(id: nextClientID.add(1, ordering: .relaxed).newValue)
    }

    /// Links gateways `a` and `b` (a dials b); false when either hub refused.
    @discardableResult
    func link(_ a: Int, _ b: Int) async -> Bool {
        let outgoing = GatewayLink(key: GatewayKey(keys[b].publicKey)!, weInitiated: true, outboxLimitBytes: 1 << 24, close: {})
        let incoming = GatewayLink(key: GatewayKey(keys[a].publicKey)!, weInitiated: false, outboxLimitBytes: 1 << 24, close: {})
        pairs.withLock { $0.append(Pair(from: a, to: b, outgoing: outgoing, incoming: incoming)) }
        let outgoingAdmitted = await hubs[a].linkUp(outgoing)
        let incomingAdmitted = await hubs[b].linkUp(incoming)
        return outgoingAdmitted && incomingAdmitted
    }

    func linkAll() async {
        for a in hubs.indices {
            for b in hubs.indices where a < b { await link(a, b) }
        }
    }

    /// Cuts the link between `a` and `b` as a dead TCP connection would.
    func cut(_ a: Int, _ b: Int) async {
        let pair = pairs.withLock { pairs in
            let index = pairs.firstIndex { ($0.from, $0.to) == (a, b) || ($0.from, $0.to) == (b, a) }!
            return pairs.remove(at: index)
        }
        await hubs[pair.from].linkDown(pair.outgoing)
        await hubs[pair.to].linkDown(pair.incoming)
    }

    /// Delivers every queued frame, repeatedly, until no link carries anything.
    /// With `dropping`, frames are taken off the links and lost instead.
    func pump(dropping: Bool = false) async {
        while true {
            var moved = 0
            for pair in pairs.withLock({ $0 }) {
                for (source, target, receiver) in [(pair.outgoing, pair.incoming, pair.to), (pair.incoming, pair.outgoing, pair.from)] {
                    for frame in source.outbox.takeAll() {
                        moved += 1
                        source.outbox.didWrite(bytes: frame.readableBytes)
                        guard !dropping else { continue }
                        let message = try! LinkMessage.decode(Array(buffer: frame))
                        await hubs[receiver].received(message, from: target)
                    }
                }
            }
            if moved == 0 { return }
        }
    }
}

func register(_ nodeId: String, _ username: String = "user") -> LegacyRequest {
    .register(Participant(nodeId: nodeId, username: username))
}

func signal(to target: String, from sender: String) -> LegacyRequest {
    LegacyRequest.decode(ByteBuffer(string: #"{"type":"signal","to":"\#(target)","from":"\#(sender)","sdp":"v=0"}"#))
}
