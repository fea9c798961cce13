import Bencode
import Testing
import TomDHT

/// One node fed hostile datagrams from chosen addresses at chosen times. Every test ends by
/// checking that the node still answers an honest querier (`stillServes`). A class, so that
/// `#expect` can call its methods.
final class HostileKRPC {
    let ownID = NodeID(bytes: [UInt8](repeating: 0x42, count: 20))!
    let honest = DHTAddress.v4(7, 7, 7, 7, port: 6881)
    var now = DHTTime.at(seconds: 10_000)
    var node: DHTNode

    init(_ configure: (inout DHTConfig) -> Void = { _ in }) {
        var config = DHTConfig()
        configure(&config)
        node = DHTNode(config: config, nodeID: ownID, seed: 11, now: now)
    }

    static func senderID(_ index: Int) -> NodeID {
        var bytes = [UInt8](repeating: 0x10, count: 20)
        bytes[16] = UInt8(truncatingIfNeeded: index >> 24)
        bytes[17] = UInt8(truncatingIfNeeded: index >> 16)
        bytes[18] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[19] = UInt8(truncatingIfNeeded: index)
        return NodeID(bytes: bytes)!
    }

    /// Everything the node sent to `source` after `bytes` arrived from it.
    func send(_ bytes: [UInt8], from source: DHTAddress) -> [OutgoingDatagram] {
        node.handle(datagram: bytes, from: source, now: now)
        return node.pollOutgoing().filter { $0.destination == source }
    }

    func send(_ text: String, from source: DHTAddress) -> [OutgoingDatagram] {
        send(Array(text.utf8), from: source)
    }

    /// Sends a query and returns the node's reply to it, if any (the node's own queries to
    /// the same address, such as verification pings, are skipped).
    func ask(
        _ method: KRPCQuery.Method,
        from source: DHTAddress,
        sender: NodeID = HostileKRPC.senderID(1),
        transaction: [UInt8] = Array("tx".utf8)
    ) -> KRPCMessage? {
        let query = KRPCMessage(transactionID: transaction, kind: .query(KRPCQuery(senderID: sender, method: method)))
        return send(query.encoded(), from: source).lazy
            .compactMap { try? KRPCMessage.decode($0.bytes) }
            .first { $0.query == nil && $0.transactionID == transaction }
    }

    /// A write token for `source`, from a get_peers.
    func token(for source: DHTAddress) -> [UInt8] {
        ask(.getPeers(GetPeersArguments(infoHash: .zero)), from: source)?.response?.token ?? []
    }

    /// Makes `contact` a confirmed node of our table: we ping it and it answers.
    func confirm(_ contact: NodeInfo) {
        _ = node.ping(contact.address, now: now)
        guard let ping = node.pollOutgoing().last, let transaction = try? KRPCMessage.decode(ping.bytes).transactionID else { return }
        let answer = KRPCMessage(transactionID: transaction, kind: .response(KRPCResponse(senderID: contact.id)))
        node.handle(datagram: answer.encoded(), from: contact.address, now: now)
        _ = node.pollOutgoing()
        _ = node.pollEvents()
    }

    /// The node answers a ping from an address it has never heard from.
    func stillServes() -> Bool {
        ask(.ping, from: honest, sender: HostileKRPC.senderID(999_999))?.response != nil
    }
}

extension DHTAddress {
    /// 20.x.y.z: public, distinct per index.
    static func publicV4(_ index: Int, port: UInt16 = 6881) -> DHTAddress {
        .v4(20, UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index), port: port)
    }

    /// 2001:db8::/32 addresses, distinct per index.
    static func publicV6(_ index: Int, port: UInt16 = 6881) -> DHTAddress {
        DHTAddress(ip: .v6(IPv6Address(high: 0x2001_0db8_0000_0000 | UInt64(index) << 16, low: UInt64(index) + 1)), port: port)
    }
}

@Suite("Hostile input: UDP KRPC")
struct HostileKRPCTests {
    @Test("H-UDP-03 truncated bencode is dropped without an answer")
    func truncatedBencode() {
        let hostile = HostileKRPC()
        let ping = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"
        for length in [1, 10, ping.utf8.count / 2, ping.utf8.count - 1] {
            #expect(hostile.send(Array(ping.utf8.prefix(length)), from: .publicV4(1)).isEmpty)
        }
        #expect(hostile.node.statistics.malformedDatagrams == 4)
        #expect(hostile.stillServes())
    }

    @Test("H-UDP-04 deeply nested bencode fails fast, without exhausting the stack")
    func deeplyNested() {
        let hostile = HostileKRPC()
        let nested = [UInt8](repeating: UInt8(ascii: "l"), count: 100_000) + [UInt8](repeating: UInt8(ascii: "e"), count: 100_000)
        #expect(hostile.send(nested, from: .publicV4(1)).isEmpty)
        // Nested inside a readable query: answered 203, the transaction id is known.
        let inside = "d1:ad2:id20:abcdefghij0123456789" + "1:x" + String(repeating: "l", count: 40) + String(repeating: "e", count: 40)
            + "e1:q4:ping1:t2:aa1:y1:qe"
        let reply = hostile.send(inside, from: .publicV4(2)).first.flatMap { try? KRPCMessage.decode($0.bytes) }
        #expect(reply == nil || reply?.errorReply?.code == .protocolError)
        #expect(hostile.stillServes())
    }

    @Test("H-UDP-08 a query flood from one IP is answered up to the burst, then the IP is banned")
    func queryFloodBansTheSource() {
        let hostile = HostileKRPC()
        let flooder = DHTAddress.publicV4(1)
        let burst = hostile.node.config.queryBurstPerAddress
        var answered = 0
        for index in 0..<(burst * 3) {
            if hostile.ask(.ping, from: flooder, transaction: [UInt8(index & 0xFF), UInt8(index >> 8)])?.response != nil { answered += 1 }
        }
        #expect(answered == burst)
        #expect(hostile.node.statistics.addressesBanned == 1)
        #expect(hostile.node.statistics.datagramsRateLimited == burst * 2)
        #expect(hostile.node.rateLimiter.isBanned(flooder.ip, now: hostile.now))
        // Another port of the same IP is the same source.
        #expect(hostile.ask(.ping, from: .publicV4(1, port: 9999)) == nil)
        // Everyone else is served.
        #expect(hostile.ask(.ping, from: .publicV4(2))?.response != nil)
        #expect(hostile.stillServes())
    }

    @Test("H-UDP-09 a ban drops everything from the IP, answers included, and ends after the ban duration")
    func banDropsAnswersAndEnds() {
        let hostile = HostileKRPC()
        let flooder = DHTAddress.publicV4(1)
        for index in 0...hostile.node.config.queryBurstPerAddress {
            _ = hostile.ask(.ping, from: flooder, transaction: [UInt8(index & 0xFF), UInt8(index >> 8)])
        }
        #expect(hostile.node.rateLimiter.isBanned(flooder.ip, now: hostile.now))
        // Our own ping to the banned IP: its answer is dropped unread, so the ping times out.
        let operation = hostile.node.ping(flooder, now: hostile.now)
        let ping = hostile.node.pollOutgoing()
        #expect(ping.count == 1)
        if let transaction = try? KRPCMessage.decode(ping[0].bytes).transactionID {
            let answer = KRPCMessage(transactionID: transaction, kind: .response(KRPCResponse(senderID: HostileKRPC.senderID(5))))
            hostile.node.handle(datagram: answer.encoded(), from: flooder, now: hostile.now)
        }
        hostile.now = hostile.now + .seconds(3)
        hostile.node.tick(now: hostile.now)
        #expect(hostile.node.pollEvents().contains(.operationCompleted(operation, .pinged(nil))))
        // Still banned just before the end, served again after it, with a full bucket.
        hostile.now = DHTTime.at(seconds: 10_000) + hostile.node.config.rateLimitBanDuration
        #expect(hostile.ask(.ping, from: flooder)?.response != nil)
        #expect(!hostile.node.rateLimiter.isBanned(flooder.ip, now: hostile.now))
    }

    @Test("H-UDP-10 loopback is exempt from the rate limit unless limitsLoopback is set")
    func loopbackExemption() {
        let local = DHTAddress.v4(127, 0, 0, 1, port: 40000)
        let exempt = HostileKRPC()
        var answered = 0
        for index in 0..<1_000 where exempt.ask(.ping, from: local, transaction: [UInt8(index & 0xFF), UInt8(index >> 8)])?.response != nil {
            answered += 1
        }
        #expect(answered == 1_000)
        #expect(exempt.node.statistics.addressesBanned == 0)

        let limited = HostileKRPC { $0.limitsLoopback = true }
        answered = 0
        for index in 0..<1_000 where limited.ask(.ping, from: local, transaction: [UInt8(index & 0xFF), UInt8(index >> 8)])?.response != nil {
            answered += 1
        }
        #expect(answered == limited.node.config.queryBurstPerAddress)
    }

    @Test("H-UDP-11 spoofed source addresses keep the limiter bounded, and cannot lift a flooder's ban")
    func spoofedSourcesStayBounded() {
        let hostile = HostileKRPC { $0.rateLimitTrackedAddresses = 100 }
        let flooder = DHTAddress.publicV4(0)
        for index in 0...hostile.node.config.queryBurstPerAddress {
            _ = hostile.ask(.ping, from: flooder, transaction: [UInt8(index & 0xFF), UInt8(index >> 8)])
        }
        #expect(hostile.node.rateLimiter.isBanned(flooder.ip, now: hostile.now))
        for index in 1...5_000 {
            _ = hostile.ask(.ping, from: .publicV4(index))
            // The flooder keeps sending: it stays the most recently seen, and banned.
            if index % 50 == 0 { #expect(hostile.ask(.ping, from: flooder) == nil) }
        }
        #expect(hostile.node.rateLimiter.trackedAddresses <= 100)
        #expect(hostile.node.rateLimiter.isBanned(flooder.ip, now: hostile.now))
        #expect(hostile.stillServes())
    }

    @Test("H-UDP-26 unsolicited answers are charged like queries; answers to our own queries never are")
    func unsolicitedAnswersAreCharged() {
        let hostile = HostileKRPC()
        let contact = NodeInfo(id: HostileKRPC.senderID(3), address: .publicV4(3))
        // 300 pings of ours, all answered at once: solicited, never charged.
        for _ in 0..<300 { _ = hostile.node.ping(contact.address, now: hostile.now) }
        for ping in hostile.node.pollOutgoing() {
            guard let transaction = try? KRPCMessage.decode(ping.bytes).transactionID else { continue }
            let answer = KRPCMessage(transactionID: transaction, kind: .response(KRPCResponse(senderID: contact.id)))
            hostile.node.handle(datagram: answer.encoded(), from: contact.address, now: hostile.now)
        }
        #expect(hostile.node.statistics.repliesAccepted == 300)
        #expect(hostile.node.statistics.addressesBanned == 0)
        // Answers to nothing (random transaction ids) from another IP: banned past the burst.
        let spoofer = DHTAddress.publicV4(4)
        for index in 0..<300 {
            let fake = KRPCMessage(transactionID: [9, 9, UInt8(index & 0xFF), UInt8(index >> 8)], kind: .response(KRPCResponse(senderID: contact.id)))
            hostile.node.handle(datagram: fake.encoded(), from: spoofer, now: hostile.now)
        }
        #expect(hostile.node.statistics.addressesBanned == 1)
        #expect(hostile.node.statistics.repliesIgnored == hostile.node.config.queryBurstPerAddress)
        #expect(hostile.stillServes())
    }

    @Test("H-UDP-14 announce_peer with port 0 is refused with 203 and stores nothing")
    func announcePortZero() {
        let hostile = HostileKRPC()
        let source = DHTAddress.publicV4(1)
        let token = hostile.token(for: source)
        let reply = hostile.ask(.announcePeer(AnnouncePeerArguments(infoHash: .zero, port: 0, token: token)), from: source)
        #expect(reply?.errorReply?.code == .protocolError)
        #expect(hostile.node.peerStore.count == 0)
        #expect(hostile.stillServes())
    }

    @Test("H-UDP-15 one IP announcing many ports stops at maxPeersPerAddress (202); others still announce")
    func announceQuotaPerAddress() {
        let hostile = HostileKRPC { $0.queryRatePerAddress = 0; $0.maxPeersPerAddress = 20 }
        let source = DHTAddress.publicV4(1)
        let token = hostile.token(for: source)
        let infoHash = NodeID(bytes: [UInt8](repeating: 0xAB, count: 20))!
        func announce(port: UInt16, from address: DHTAddress, token: [UInt8]) -> KRPCMessage? {
            hostile.ask(.announcePeer(AnnouncePeerArguments(infoHash: infoHash, port: port, token: token)), from: address)
        }
        for port in 1...20 { #expect(announce(port: UInt16(port), from: source, token: token)?.response != nil) }
        let refused = announce(port: 21, from: source, token: token)
        #expect(refused?.errorReply?.code == .serverError)
        #expect(hostile.node.statistics.storesRefusedByAddressQuota == 1)
        // Refreshing one it already has is fine; another IP is unaffected.
        #expect(announce(port: 5, from: source, token: token)?.response != nil)
        let other = DHTAddress.publicV4(2)
        #expect(announce(port: 1, from: other, token: hostile.token(for: other))?.response != nil)
        #expect(hostile.node.peerStore.count == 21)
        #expect(hostile.node.peerStore.peerCount(ofAddress: source.ip) == 20)
        // Once its peers expire, the IP may announce again.
        hostile.now = hostile.now + hostile.node.config.peerLifetime + .seconds(60)
        hostile.node.tick(now: hostile.now)
        #expect(announce(port: 21, from: source, token: hostile.token(for: source))?.response != nil)
    }

    @Test("H-UDP-17 many node ids from one public IP take at most one routing entry per bucket")
    func oneRoutingEntryPerIPPerBucket() {
        let hostile = HostileKRPC { $0.queryRatePerAddress = 0 }
        var generator = DHTRandom(seed: 17)
        for index in 0..<300 {
            _ = hostile.ask(.ping, from: .publicV4(1, port: UInt16(1000 + index)), sender: NodeID.random(using: &generator))
        }
        let table = hostile.node.routingTable
        for bucket in 0..<table.bucketCount {
            let fromSource = (table.entries(inBucket: bucket) + table.replacementCandidates(inBucket: bucket))
                .filter { $0.node.address.ip == DHTAddress.publicV4(1).ip }
            #expect(fromSource.count <= 1)
        }
        #expect(hostile.stillServes())
    }

    @Test("H-UDP-19 answers stay within BEP 5 bounds: at most 8 nodes per family, 50 peers, 10 signed peers")
    func answersAreBounded() throws {
        let hostile = HostileKRPC { config in
            config.queryRatePerAddress = 0
            config.lookupClosestCount = 20  // our lookups may track more; answers still name 8
        }
        for index in 0..<40 {
            hostile.confirm(NodeInfo(id: HostileKRPC.senderID(100 + index), address: .publicV4(100 + index)))
            hostile.confirm(NodeInfo(id: HostileKRPC.senderID(200 + index), address: .publicV6(200 + index)))
        }
        let infoHash = NodeID(bytes: [UInt8](repeating: 0xCD, count: 20))!
        // 80 IPv6 peers (the larger compact form) in one swarm.
        for index in 0..<80 {
            let source = DHTAddress.publicV6(1_000 + index)
            let token = hostile.token(for: source)
            _ = hostile.ask(.announcePeer(AnnouncePeerArguments(infoHash: infoHash, port: 6881, token: token)), from: source)
        }
        // A 1000-byte mutable item with a 64-byte salt, and 20 signed peers.
        let key = ItemSigningKey(seed: [UInt8](repeating: 5, count: 32))!
        let salt = [UInt8](repeating: 0x73, count: 64)
        let item = MutableItem.signed(value: CanonicalBencode(.bytes([UInt8](repeating: 0x76, count: 996))), salt: salt, sequenceNumber: .max, key: key)
        #expect(item.value.bytes.count == 1_000)
        let putter = DHTAddress.publicV4(9)
        let put = hostile.ask(.put(PutItemArguments(token: hostile.token(for: putter), value: item.value, publicKey: item.publicKey,
                                                    signature: item.signature, sequenceNumber: item.sequenceNumber, salt: salt)), from: putter)
        #expect(put?.response != nil)
        hostile.node.setUnixTime(microsecondsSinceEpoch: 1_761_300_000_000_000, now: hostile.now)
        for index in 0..<20 {
            let record = SignedPeer.signed(infoHash: infoHash, timestamp: 1_761_300_000_000_000, key: ItemSigningKey(seed: [UInt8](repeating: UInt8(index + 10), count: 32))!)
            let source = DHTAddress.publicV4(500 + index)
            _ = hostile.ask(.announceSignedPeer(AnnounceSignedPeerArguments(infoHash: infoHash, token: hostile.token(for: source), peer: record)), from: source)
        }
        #expect(hostile.node.signedPeerStore.count == 20)

        // The worst cases: both families wanted, a 64-byte transaction id, an IPv6 requester.
        let both: Set<AddressFamily> = [.v4, .v6]
        let queries: [(String, KRPCQuery.Method)] = [
            ("find_node", .findNode(FindNodeArguments(target: infoHash, want: both))),
            ("get_peers", .getPeers(GetPeersArguments(infoHash: infoHash, want: both))),
            ("get", .get(GetItemArguments(target: item.target, want: both))),
            ("get_signed_peers", .getSignedPeers(GetPeersArguments(infoHash: infoHash, want: both))),
        ]
        var largest = 0
        var worstRatio = 0.0
        for (name, method) in queries {
            for transaction in [[UInt8](repeating: 0x74, count: 1), [UInt8](repeating: 0x74, count: 64)] {
                let query = KRPCMessage(transactionID: transaction, kind: .query(KRPCQuery(senderID: HostileKRPC.senderID(7), method: method))).encoded()
                let sent = hostile.send(query, from: .publicV6(77))
                let answer = try #require(sent.first)
                let response = try #require(try KRPCMessage.decode(answer.bytes).response)
                #expect((response.nodes?.count ?? 0) <= KRPCLimits.nodesPerAnswer)
                #expect((response.nodes6?.count ?? 0) <= KRPCLimits.nodesPerAnswer)
                #expect((response.values?.count ?? 0) <= hostile.node.config.maxPeersPerResponse)
                #expect((response.signedPeers?.count ?? 0) <= hostile.node.config.maxSignedPeersPerResponse)
                #expect((response.value?.bytes.count ?? 0) <= MutableItemSigning.maxValueLength)
                largest = max(largest, answer.bytes.count)
                worstRatio = max(worstRatio, Double(answer.bytes.count) / Double(query.count))
                print("amplification: \(name), t of \(transaction.count): query \(query.count) bytes, answer \(answer.bytes.count) bytes, x\((Double(answer.bytes.count) / Double(query.count) * 10).rounded() / 10)")
            }
        }
        // Documented in Docs/dht.md ("Abuse limits"): no answer over 1,600 bytes, no query
        // answered with more than 16 times its own size.
        #expect(largest <= 1_600)
        #expect(worstRatio <= 16)
    }

    @Test("H-UDP-21 a read-only node answers nothing, not even errors, and still works as a client")
    func readOnlyNodeAnswersNothing() {
        let hostile = HostileKRPC { $0.isReadOnly = true }
        let source = DHTAddress.publicV4(1)
        #expect(hostile.ask(.ping, from: source) == nil)
        #expect(hostile.ask(.getPeers(GetPeersArguments(infoHash: .zero)), from: source) == nil)
        #expect(hostile.send("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe", from: source).isEmpty)
        #expect(hostile.ask(.unknown(name: Array("vote".utf8)), from: source) == nil)
        _ = hostile.node.ping(source, now: hostile.now)
        let ping = hostile.node.pollOutgoing()
        #expect(ping.count == 1)
        #expect((try? KRPCMessage.decode(ping[0].bytes))?.isReadOnly == true)
    }

    @Test("H-UDP-23 a transaction id longer than 64 bytes makes the query unanswerable: dropped")
    func overlongTransactionID() {
        let hostile = HostileKRPC()
        #expect(hostile.ask(.ping, from: .publicV4(1), transaction: [UInt8](repeating: 1, count: 65)) == nil)
        #expect(hostile.ask(.ping, from: .publicV4(1), transaction: [UInt8](repeating: 1, count: 64))?.response != nil)
        #expect(hostile.node.statistics.malformedDatagrams == 1)
    }

    @Test("H-UDP-24 error answers are short whatever the query")
    func errorAnswersAreShort() {
        let hostile = HostileKRPC()
        let bulky = "d1:ad2:id20:abcdefghij0123456789" + "6:target19:" + String(repeating: "x", count: 19)
            + "1:x1000:" + String(repeating: "y", count: 1000) + "e1:q9:find_node1:t2:aa1:y1:qe"
        let sent = hostile.send(bulky, from: .publicV4(1))
        #expect(sent.count == 1)
        #expect((sent.first?.bytes.count ?? 0) < 160)
        let unknown = hostile.send("d1:ad2:id20:abcdefghij0123456789e1:q500:" + String(repeating: "m", count: 500) + "1:t2:aa1:y1:qe", from: .publicV4(2))
        #expect((try? KRPCMessage.decode(unknown.first?.bytes ?? []))?.errorReply?.code == .methodUnknown)
        #expect((unknown.first?.bytes.count ?? 0) < 160)
    }
}

@Suite("Hostile input: BEP 44 and signed peers")
struct HostileBEP44Tests {
    let key = ItemSigningKey(seed: [UInt8](repeating: 0x33, count: 32))!

    func mutablePut(_ text: String, seq: Int64, token: [UInt8], salt: [UInt8] = []) -> KRPCQuery.Method {
        let item = MutableItem.signed(value: CanonicalBencode(.string(text)), salt: salt, sequenceNumber: seq, key: key)
        return .put(PutItemArguments(token: token, value: item.value, publicKey: item.publicKey, signature: item.signature,
                                     sequenceNumber: seq, salt: salt.isEmpty ? nil : salt))
    }

    @Test("H-BEP44-09 a put with a forged, missing or borrowed token is refused with 203")
    func putTokens() {
        let hostile = HostileKRPC()
        let source = DHTAddress.publicV4(1)
        let elsewhere = DHTAddress.publicV4(2)
        #expect(hostile.ask(mutablePut("v", seq: 1, token: Array("forgedto".utf8)), from: source)?.errorReply?.code == .protocolError)
        #expect(hostile.ask(mutablePut("v", seq: 1, token: []), from: source)?.errorReply?.code == .protocolError)
        let borrowed = hostile.token(for: elsewhere)
        #expect(hostile.ask(mutablePut("v", seq: 1, token: borrowed), from: source)?.errorReply?.code == .protocolError)
        #expect(hostile.node.itemStore.count == 0)
        #expect(hostile.ask(mutablePut("v", seq: 1, token: hostile.token(for: source)), from: source)?.response != nil)
    }

    @Test("H-BEP44-10 a put whose v is not canonical bencode is refused with 203")
    func nonCanonicalValue() {
        let hostile = HostileKRPC()
        let source = DHTAddress.publicV4(1)
        let token = hostile.token(for: source)
        // `v` is a dictionary with unsorted keys.
        let put = Array("d1:ad2:id20:abcdefghij0123456789".utf8) + Array("5:token\(token.count):".utf8) + token
            + Array("1:vd1:bi1e1:ai2eee1:q3:put1:t2:pp1:y1:qe".utf8)
        let reply = hostile.send(put, from: source).first.flatMap { try? KRPCMessage.decode($0.bytes) }
        #expect(reply?.errorReply?.code == .protocolError)
        #expect(reply?.transactionID == Array("pp".utf8))
        #expect(hostile.node.itemStore.count == 0)
    }

    @Test("H-BEP44-11 one IP putting many items stops at maxItemsPerAddress (202); others' items are untouched")
    func itemQuotaPerAddress() {
        let hostile = HostileKRPC { $0.queryRatePerAddress = 0; $0.maxItemsPerAddress = 30 }
        let honestPutter = DHTAddress.publicV4(2)
        let kept = CanonicalBencode("kept")
        #expect(hostile.ask(.put(PutItemArguments(token: hostile.token(for: honestPutter), value: kept)), from: honestPutter)?.response != nil)
        let source = DHTAddress.publicV4(1)
        let token = hostile.token(for: source)
        for index in 0..<30 {
            #expect(hostile.ask(.put(PutItemArguments(token: token, value: CanonicalBencode(.integer(Int64(index))))), from: source)?.response != nil)
        }
        let refused = hostile.ask(.put(PutItemArguments(token: token, value: CanonicalBencode(.integer(30)))), from: source)
        #expect(refused?.errorReply?.code == .serverError)
        #expect(hostile.node.statistics.storesRefusedByAddressQuota == 1)
        // A refresh of its own item passes; the honest item is still there.
        #expect(hostile.ask(.put(PutItemArguments(token: token, value: CanonicalBencode(.integer(3)))), from: source)?.response != nil)
        #expect(hostile.node.itemStore.item(at: ImmutableItem(value: kept).target, now: hostile.now) != nil)
        #expect(hostile.node.itemStore.count == 31)
        #expect(hostile.node.itemStore.itemCount(ofAddress: source.ip) == 30)
    }

    @Test("H-BEP44-13 forged or mismatched values in answers to our get are discarded")
    func forgedValuesInAnswersAreDiscarded() throws {
        let hostile = HostileKRPC()
        let contact = NodeInfo(id: HostileKRPC.senderID(3), address: .publicV4(3))
        hostile.confirm(contact)
        let salt = Array("room".utf8)
        let item = MutableItem.signed(value: CanonicalBencode("genuine"), salt: salt, sequenceNumber: 7, key: key)
        for forge in 0..<3 {
            let operation = hostile.node.get(item.target, salt: salt, now: hostile.now)
            let sent = hostile.node.pollOutgoing()
            for datagram in sent {
                let message = try KRPCMessage.decode(datagram.bytes)
                guard message.query != nil else { continue }
                var response = KRPCResponse(senderID: contact.id, token: [1], value: item.value, publicKey: item.publicKey,
                                            signature: item.signature, sequenceNumber: item.sequenceNumber)
                switch forge {
                case 0: response.signature?[0] ^= 1                  // forged signature
                case 1: response.sequenceNumber = 8                  // signature replayed with a higher seq
                default: response.publicKey = ItemSigningKey(seed: [UInt8](repeating: 0x44, count: 32))!.publicKey  // another key's item
                }
                let reply = KRPCMessage(transactionID: message.transactionID, kind: .response(response))
                hostile.node.handle(datagram: reply.encoded(), from: datagram.destination, now: hostile.now)
            }
            let events = hostile.node.pollEvents()
            guard case .operationCompleted(let id, .itemFound(let result))? = events.last else {
                Issue.record("no result: \(events)")
                continue
            }
            #expect(id == operation)
            #expect(result.item == nil)
        }
    }

    @Test("H-BEP44-17 one IP announcing many signed peers stops at maxSignedPeersPerAddress (202)")
    func signedPeerQuotaPerAddress() {
        let hostile = HostileKRPC { $0.queryRatePerAddress = 0; $0.maxSignedPeersPerAddress = 5 }
        let unixNow: Int64 = 1_761_300_000_000_000
        hostile.node.setUnixTime(microsecondsSinceEpoch: unixNow, now: hostile.now)
        let source = DHTAddress.publicV4(1)
        let token = hostile.token(for: source)
        let infoHash = NodeID(bytes: [UInt8](repeating: 0x99, count: 20))!
        func announce(_ seed: UInt8, from address: DHTAddress, token: [UInt8]) -> KRPCMessage? {
            let record = SignedPeer.signed(infoHash: infoHash, timestamp: unixNow, key: ItemSigningKey(seed: [UInt8](repeating: seed, count: 32))!)
            return hostile.ask(.announceSignedPeer(AnnounceSignedPeerArguments(infoHash: infoHash, token: token, peer: record)), from: address)
        }
        for seed in UInt8(1)...5 { #expect(announce(seed, from: source, token: token)?.response != nil) }
        #expect(announce(6, from: source, token: token)?.errorReply?.code == .serverError)
        let other = DHTAddress.publicV4(2)
        #expect(announce(6, from: other, token: hostile.token(for: other))?.response != nil)
        #expect(hostile.node.signedPeerStore.count == 6)
        #expect(hostile.node.signedPeerStore.recordCount(ofAddress: source.ip) == 5)
    }
}

@Suite("Hostile input: legitimate load is never limited", .serialized)
struct LegitimateLoadTests {
    @Test("H-UDP-25 a 256-node network joining, looking up, putting and announcing bans nobody and refuses nothing")
    func legitimateTrafficIsNeverLimited() async {
        var sim = await SimulatedNetwork.shared.value
        var generator = DHTRandom(seed: 25)
        for round in 0..<60 {
            let origin = round % 12
            let target = NodeID.random(using: &generator)
            _ = sim.network.perform(on: origin) { node, now in node.findNode(target, now: now) }
            let value = CanonicalBencode(.integer(Int64(round)))
            _ = sim.network.perform(on: origin) { node, now in node.putImmutable(value, now: now) }
            _ = sim.network.perform(on: origin) { node, now in node.announce(target, port: 7000, now: now) }
        }
        // 40 lookups in flight at once from one node.
        sim.network.withNode(1) { node, now in
            for _ in 0..<40 { _ = node.findNode(NodeID.random(using: &generator), now: now) }
        }
        sim.network.run(for: .seconds(20))
        let statistics = sim.network.nodes.map(\.statistics)
        #expect(statistics.reduce(0) { $0 + $1.addressesBanned } == 0)
        #expect(statistics.reduce(0) { $0 + $1.datagramsRateLimited } == 0)
        #expect(statistics.reduce(0) { $0 + $1.storesRefusedByAddressQuota } == 0)
    }
}
