import Testing
import TomDHT

@Suite("BEP 42 node id security")
struct NodeIDSecurityTests {
    /// The test vectors of BEP 42: IP, random byte, example node id.
    static let vectors: [(ip: String, random: UInt8, id: String)] = [
        ("124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"),
        ("21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"),
        ("65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"),
        ("84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"),
        ("43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"),
    ]

    @Test func crc32cMatchesTheCastagnoliCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test("BEP 42 vectors", arguments: NodeIDSecurityTests.vectors.indices)
    func vector(index: Int) throws {
        let vector = Self.vectors[index]
        let ip = try #require(IPAddress(vector.ip))
        let id = try #require(NodeID(hex: vector.id))
        // The vector's random bits, fed back in, must reproduce the vector exactly.
        #expect(NodeIDSecurity.secureID(for: ip, randomByte: vector.random, filler: id) == id)
        #expect(NodeIDSecurity.idMatches(id, ip: ip))
        #expect(NodeIDSecurity.isCompliant(id, ip: ip))
        // Any other filler keeps the 21-bit prefix and the last byte.
        let other = NodeIDSecurity.secureID(for: ip, randomByte: vector.random, filler: .zero)
        #expect(other.commonPrefixLength(with: id) >= 21)
        #expect(other.bytes.last == vector.random)
    }

    @Test func idsDoNotMatchOtherAddresses() throws {
        let id = try #require(NodeID(hex: Self.vectors[0].id))
        let elsewhere = try #require(IPAddress("124.31.75.22"))
        #expect(!NodeIDSecurity.idMatches(id, ip: try #require(IPAddress("21.75.31.124"))))
        #expect(!NodeIDSecurity.isCompliant(id, ip: elsewhere))
        // Flipping a bit inside the 21-bit prefix breaks the match; flipping one after it does not.
        let ip = try #require(IPAddress(Self.vectors[0].ip))
        #expect(!NodeIDSecurity.idMatches(id.flippingBit(at: 20), ip: ip))
        #expect(NodeIDSecurity.idMatches(id.flippingBit(at: 21), ip: ip))
        // The low 3 bits of the last byte select r, so changing them breaks the match.
        #expect(!NodeIDSecurity.idMatches(id.flippingBit(at: 159), ip: ip))
    }

    @Test func masksIgnoreTheHighBitsOfEachOctet() throws {
        // 0x030f3fff keeps 2, 4, 6 and 8 bits of the four octets: 124 = 0b0111_1100 and
        // 0 = 0b0000_0000 share their low 2 bits, so 124.31.75.21 and 0.31.75.21 hash alike.
        let id = try #require(NodeID(hex: Self.vectors[0].id))
        #expect(NodeIDSecurity.idMatches(id, ip: try #require(IPAddress("0.31.75.21"))))
    }

    @Test func localNetworkAddressesAreExempt() throws {
        let id = try #require(NodeID(hex: Self.vectors[0].id))
        for text in ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.9.9", "127.0.0.1",
                     "::1", "fd00::1", "fe80::1"] {
            let ip = try #require(IPAddress(text))
            #expect(ip.isLocalNetwork, "\(text)")
            #expect(NodeIDSecurity.isCompliant(id, ip: ip))
        }
        for text in ["172.32.0.1", "11.0.0.1", "8.8.8.8", "2001:db8::1", "fec0::1"] {
            let ip = try #require(IPAddress(text))
            #expect(!ip.isLocalNetwork, "\(text)")
        }
    }

    @Test func generatedIdsValidateForIPv4AndIPv6() throws {
        var generator = DHTRandom(seed: 42)
        for text in ["124.31.75.21", "8.8.4.4", "2001:db8:85a3::8a2e:370:7334", "2a00:1450:4001:81b::200e"] {
            let ip = try #require(IPAddress(text))
            for _ in 0..<50 {
                let id = NodeIDSecurity.secureID(for: ip, using: &generator)
                #expect(NodeIDSecurity.idMatches(id, ip: ip))
            }
        }
    }

    @Test func ipv6UsesOnlyTheHigh64BitsMasked() throws {
        var generator = DHTRandom(seed: 1)
        let ip = try #require(IPAddress("2001:db8:85a3:1:2:3:4:5"))
        let sameNetwork = try #require(IPAddress("2001:db8:85a3:1:ffff:ffff:ffff:ffff"))
        let id = NodeIDSecurity.secureID(for: ip, using: &generator)
        #expect(NodeIDSecurity.idMatches(id, ip: sameNetwork))
    }
}
