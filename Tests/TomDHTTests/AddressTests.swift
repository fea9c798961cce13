import Testing
import TomDHT

@Suite("Addresses and compact encodings")
struct AddressTests {
    @Test func ipv4TextRoundTrips() throws {
        let address = try #require(IPv4Address("124.31.75.21"))
        #expect(address == IPv4Address(124, 31, 75, 21))
        #expect(address.description == "124.31.75.21")
        #expect(address.bytes == [124, 31, 75, 21])
        #expect(IPv4Address(bytes: [124, 31, 75, 21]) == address)
    }

    @Test("invalid IPv4 text", arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "+1.2.3.4", "1.2.3.0004", " 1.2.3.4"])
    func rejectsInvalidIPv4(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test("IPv6 text round trips", arguments: [
        ("::", "::"),
        ("::1", "::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("fe80::1:0:0:1", "fe80::1:0:0:1"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ("FD00::ABCD", "fd00::abcd"),
    ])
    func ipv6RoundTrips(text: String, canonical: String) throws {
        let address = try #require(IPv6Address(text))
        #expect(address.description == canonical)
        #expect(IPv6Address(canonical) == address)
        #expect(IPv6Address(bytes: address.bytes) == address)
    }

    @Test("invalid IPv6 text", arguments: ["", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::", "::+1", "1:2:3:4:5:6:7::8"])
    func rejectsInvalidIPv6(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func compactPeerInfo() throws {
        let v4 = DHTAddress(ip: .v4(IPv4Address(1, 2, 3, 4)), port: 6881)
        #expect(v4.compactBytes == [1, 2, 3, 4, 0x1A, 0xE1])
        #expect(try DHTAddress(compact: v4.compactBytes) == v4)
        #expect(v4.description == "1.2.3.4:6881")

        let v6 = DHTAddress(ip: try #require(IPAddress("2001:db8::1")), port: 65535)
        #expect(v6.compactBytes.count == 18)
        #expect(v6.compactBytes.suffix(2) == [0xFF, 0xFF])
        #expect(try DHTAddress(compact: v6.compactBytes) == v6)
        #expect(v6.description == "[2001:db8::1]:65535")
    }

    @Test("compact peers of the wrong size", arguments: [0, 1, 5, 7, 16, 17, 19, 26])
    func rejectsWrongPeerSizes(size: Int) {
        #expect(throws: CompactDecodingError.invalidLength(size)) {
            try DHTAddress(compact: [UInt8](repeating: 1, count: size))
        }
    }

    @Test func compactNodeInfo() throws {
        let id = try #require(NodeID(bytes: Array("abcdefghij0123456789".utf8)))
        let v4 = NodeInfo(id: id, address: DHTAddress(ip: .v4(IPv4Address(10, 0, 0, 1)), port: 80))
        #expect(v4.compactBytes == Array("abcdefghij0123456789".utf8) + [10, 0, 0, 1, 0, 80])
        #expect(try NodeInfo(compact: v4.compactBytes) == v4)

        let v6 = NodeInfo(id: id, address: DHTAddress(ip: try #require(IPAddress("::1")), port: 1))
        #expect(v6.compactBytes.count == 38)
        #expect(try NodeInfo(compact: v6.compactBytes) == v6)

        #expect(throws: CompactDecodingError.invalidLength(25)) { try NodeInfo(compact: [UInt8](repeating: 0, count: 25)) }
        #expect(throws: CompactDecodingError.invalidLength(6)) { try NodeInfo(compact: [UInt8](repeating: 0, count: 6)) }
    }

    @Test func compactNodeLists() throws {
        var generator = DHTRandom(seed: 3)
        let v4Nodes = (0..<5).map { index in
            NodeInfo(id: .random(using: &generator), address: DHTAddress(ip: .v4(IPv4Address(UInt32(index))), port: UInt16(index)))
        }
        let bytes = NodeInfo.compactList(v4Nodes)
        #expect(bytes.count == 5 * 26)
        #expect(try NodeInfo.decodeCompactList(bytes, family: .v4) == v4Nodes)
        #expect(try NodeInfo.decodeCompactList([], family: .v4) == [])
        #expect(throws: CompactDecodingError.invalidLength(bytes.count - 1)) {
            try NodeInfo.decodeCompactList(Array(bytes.dropLast()), family: .v4)
        }
        #expect(throws: CompactDecodingError.tooManyEntries) {
            try NodeInfo.decodeCompactList(bytes, family: .v4, maxCount: 4)
        }
        // 5 * 26 = 130 is not a multiple of 38, so the same bytes are not an IPv6 list.
        #expect(throws: CompactDecodingError.invalidLength(130)) {
            try NodeInfo.decodeCompactList(bytes, family: .v6)
        }
    }
}
