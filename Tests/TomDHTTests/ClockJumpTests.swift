import Bencode
import Testing
import TomDHT

/// The DHT core's time is whatever the driver passes in. A driver reads a monotonic clock,
/// but the core must stay sane if that time jumps anyway (a suspended VM, a buggy clock
/// source, a test): nothing traps, tokens and stored peers neither live for ever nor vanish
/// for no reason, and queries still time out.
@Suite("DHT node: clock jumps")
struct ClockJumpTests {
    let infoHash = String(repeating: "h", count: 20)

    /// The per-IP rate limiter is off here, so tokens and stores are checked on their own;
    /// the limiter has its own test below.
    static var unlimited: DHTConfig {
        var config = DHTConfig()
        config.queryRatePerAddress = 0
        return config
    }

    /// Sends `bytes` at `now` and returns the reply to the requester, decoded.
    func reply(_ fixture: inout ServerFixture, _ bytes: [UInt8], at now: DHTTime) throws -> KRPCMessage {
        fixture.node.handle(datagram: bytes, from: fixture.requester, now: now)
        // The node may also ping the requester (to confirm a new querier): skip its queries.
        let sent = try fixture.node.pollOutgoing().filter { $0.destination == fixture.requester }
            .map { try KRPCMessage.decode($0.bytes) }.filter { $0.query == nil }
        return try #require(sent.first)
    }

    func getPeers(_ fixture: inout ServerFixture, at now: DHTTime) throws -> KRPCResponse {
        let message = try reply(&fixture, Array(fixture.query("get_peers", "9:info_hash20:\(infoHash)").utf8), at: now)
        return try #require(message.response, "\(message)")
    }

    func announce(_ fixture: inout ServerFixture, token: [UInt8], at now: DHTTime) throws -> KRPCMessage {
        let arguments = Array("9:info_hash20:\(infoHash)4:porti7000e5:token".utf8) + ServerFixture.bencoded(token)
        return try reply(&fixture, fixture.query("announce_peer", bytes: arguments), at: now)
    }

    @Test func backwardJumpKeepsTokensAndPeersForTheirLifetime() throws {
        var fixture = ServerFixture(config: Self.unlimited)
        let before = DHTTime.at(seconds: 1_000)
        let token = try #require(try getPeers(&fixture, at: before).token)
        // The clock goes back 990 s: the token is still good, the announce is stored.
        let after = DHTTime.at(seconds: 10)
        #expect(try announce(&fixture, token: token, at: after).response != nil)
        fixture.node.tick(now: after)
        #expect(try getPeers(&fixture, at: after).values == [.v4(1, 2, 3, 4, port: 7000)])
        #expect(fixture.node.nextDeadline != nil)
        // The peer lives its 30 minutes from the (new) announce time, then goes.
        let inLifetime = after + .minutes(29)
        fixture.node.tick(now: inLifetime)
        #expect(try getPeers(&fixture, at: inLifetime).values == [.v4(1, 2, 3, 4, port: 7000)])
        let expired = after + .minutes(31)
        fixture.node.tick(now: expired)
        #expect(try getPeers(&fixture, at: expired).values == nil)
        // Tokens rotate again once time passes the last rotation: at most a jump's worth late.
        let later = before + .minutes(11)
        fixture.node.tick(now: later)
        #expect(try announce(&fixture, token: token, at: later).errorReply?.code == .protocolError)
    }

    @Test func forwardJumpExpiresTokensPeersAndQueriesOnce() throws {
        var fixture = ServerFixture(config: Self.unlimited)
        let start = DHTTime.at(seconds: 100)
        let token = try #require(try getPeers(&fixture, at: start).token)
        #expect(try announce(&fixture, token: token, at: start).response != nil)
        fixture.node.ping(.v4(9, 9, 9, 9, port: 6881), now: start)
        _ = fixture.node.pollOutgoing()
        #expect(fixture.node.queriesInFlight >= 1)
        let timeoutsBefore = fixture.node.statistics.timeouts

        // A year later in one step.
        let jump = start + .seconds(365 * 24 * 3600)
        fixture.node.tick(now: jump)
        _ = fixture.node.pollOutgoing()
        _ = fixture.node.pollEvents()
        #expect(fixture.node.statistics.timeouts > timeoutsBefore)  // the ping timed out at once
        #expect(try announce(&fixture, token: token, at: jump).errorReply?.code == .protocolError)
        let fresh = try getPeers(&fixture, at: jump)
        #expect(fresh.values == nil)  // the peer expired
        #expect(try announce(&fixture, token: try #require(fresh.token), at: jump).response != nil)
    }

    @Test func extremeTimesDoNotTrap() throws {
        var fixture = ServerFixture(config: Self.unlimited)
        for now in [DHTTime(nanoseconds: .max), .zero, DHTTime(nanoseconds: .max - 1), .at(seconds: 5)] {
            fixture.node.tick(now: now)
            _ = fixture.node.nextDeadline
            let answer = try reply(&fixture, Array(fixture.query("ping").utf8), at: now)
            #expect(answer.response != nil, "\(answer)")
            let peers = try getPeers(&fixture, at: now)
            #expect(peers.token != nil)
            _ = fixture.node.findNode(fixture.querierID, now: now)
            _ = fixture.node.pollOutgoing()
            _ = fixture.node.pollEvents()
        }
    }
}

/// The rate limiter keeps each address's bucket as an instant in the core's time. After the
/// time goes back, that instant lies far in the "future"; unclamped, the next datagram of
/// every recently seen address looked like a burst and banned it until the time caught up.
/// The driver's clock is monotonic (NIODeadline), so this needs a broken clock source.
@Suite("DHT rate limiter: clock jumps")
struct RateLimiterClockJumpTests {
    @Test func backwardJumpDoesNotBanQuietAddresses() {
        var limiter = QueryRateLimiter(settings: .init(ratePerSecond: 10, burst: 100))
        let address = IPAddress.v4(IPv4Address(1, 2, 3, 4))
        #expect(limiter.admit(address, now: .at(seconds: 1_000)) == .allowed)
        #expect(limiter.admit(address, now: .at(seconds: 10)) == .allowed)
        for _ in 0..<99 { #expect(limiter.admit(address, now: .at(seconds: 10)) == .allowed) }
        #expect(limiter.admit(address, now: .at(seconds: 10)) == .banStarted)
        // The ban lasts its duration from the new time, not from the old time base.
        #expect(!limiter.isBanned(address, now: .at(seconds: 10) + .minutes(6)))
    }

    @Test func forwardJumpRefillsEveryBucket() {
        var limiter = QueryRateLimiter(settings: .init(ratePerSecond: 10, burst: 100))
        let address = IPAddress.v4(IPv4Address(1, 2, 3, 4))
        for _ in 0..<100 { #expect(limiter.admit(address, now: .at(seconds: 1)) == .allowed) }
        #expect(limiter.admit(address, now: .at(seconds: 1)) == .banStarted)
        // A jump far past the ban: the address is forgiven and its bucket is full.
        let later = DHTTime.at(seconds: 1) + .seconds(365 * 24 * 3600)
        for _ in 0..<100 { #expect(limiter.admit(address, now: later) == .allowed) }
        #expect(limiter.admit(address, now: DHTTime(nanoseconds: .max)) == .allowed)
    }
}
