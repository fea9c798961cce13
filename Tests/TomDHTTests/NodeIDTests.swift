import Testing
import TomDHT

@Suite("NodeID arithmetic")
struct NodeIDTests {
    let sample = NodeID(hex: "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401")!

    @Test func hexAndBytesRoundTrip() throws {
        #expect(sample.hex == "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401")
        #expect(sample.description == sample.hex)
        #expect(NodeID(bytes: sample.bytes) == sample)
        #expect(sample.bytes.count == 20)
        #expect(sample.bytes.first == 0x5f)
        #expect(sample.bytes.last == 0x01)
        #expect(NodeID(hex: "5FBFBFF10C5D6A4EC8A88E4C6AB4C28B95EEE401") == sample)
        #expect(NodeID(bytes: Array("abcdefghij0123456789".utf8))?.bytes == Array("abcdefghij0123456789".utf8))
    }

    @Test("invalid hex and byte counts are rejected", arguments: [
        "", "00", String(repeating: "0", count: 39), String(repeating: "0", count: 41),
        String(repeating: "g", count: 40), "+" + String(repeating: "0", count: 39),
    ])
    func rejectsInvalidHex(text: String) {
        #expect(NodeID(hex: text) == nil)
    }

    @Test func rejectsWrongByteCounts() {
        #expect(NodeID(bytes: [UInt8](repeating: 0, count: 19)) == nil)
        #expect(NodeID(bytes: [UInt8](repeating: 0, count: 21)) == nil)
        #expect(NodeID(bytes: [UInt8]()) == nil)
    }

    @Test func xorDistanceAndOrdering() throws {
        let a = try #require(NodeID(hex: "0000000000000000000000000000000000000001"))
        let b = try #require(NodeID(hex: "0000000000000000000000000000000000000003"))
        let c = try #require(NodeID(hex: "8000000000000000000000000000000000000000"))
        #expect(a.distance(to: b) == NodeID(hex: "0000000000000000000000000000000000000002"))
        #expect(a.distance(to: a) == .zero)
        #expect(a ^ c == NodeID(hex: "8000000000000000000000000000000000000001"))
        #expect(a < b && b < c)
        #expect(NodeID.zero < NodeID.max)
        #expect(a.isCloser(to: .zero, than: b))
        #expect(!b.isCloser(to: .zero, than: a))
        #expect(!a.isCloser(to: .zero, than: a))
        // Words compare most significant first: a difference in the last word matters only on ties.
        let highOnly = try #require(NodeID(hex: "0000000100000000000000000000000000000000"))
        let lowOnly = try #require(NodeID(hex: "00000000000000000000000000000000ffffffff"))
        #expect(lowOnly < highOnly)
    }

    @Test func commonPrefixLengthCountsSharedLeadingBits() throws {
        #expect(sample.commonPrefixLength(with: sample) == 160)
        for bit in [0, 1, 63, 64, 100, 127, 128, 140, 159] {
            #expect(sample.commonPrefixLength(with: sample.flippingBit(at: bit)) == bit)
            #expect(sample.flippingBit(at: bit).bit(at: bit) != sample.bit(at: bit))
        }
        #expect(NodeID.zero.leadingZeroBitCount == 160)
        #expect(NodeID.max.leadingZeroBitCount == 0)
    }

    @Test func bitsReadFromTheMostSignificantEnd() throws {
        let id = try #require(NodeID(hex: "8000000000000000800000000000000080000001"))
        #expect(id.bit(at: 0))
        #expect(!id.bit(at: 1))
        #expect(id.bit(at: 64))
        #expect(id.bit(at: 128))
        #expect(id.bit(at: 159))
        #expect(!id.bit(at: 158))
    }

    @Test func randomIdsComeFromTheInjectedGenerator() {
        var first = DHTRandom(seed: 42)
        var second = DHTRandom(seed: 42)
        let ids = (0..<10).map { _ in NodeID.random(using: &first) }
        #expect(ids == (0..<10).map { _ in NodeID.random(using: &second) })
        #expect(Set(ids).count == 10)
    }

    @Test func randomIdsCanShareAPrefix() {
        var generator = DHTRandom(seed: 7)
        for length in [0, 1, 5, 63, 64, 65, 127, 128, 129, 159, 160] {
            for _ in 0..<20 {
                let id = NodeID.random(sharingPrefixOf: sample, length: length, using: &generator)
                #expect(id.commonPrefixLength(with: sample) >= length)
            }
        }
    }

    @Test func sortingByDistanceToATarget() throws {
        var generator = DHTRandom(seed: 99)
        let target = NodeID.random(using: &generator)
        let ids = (0..<50).map { _ in NodeID.random(using: &generator) }
        let sorted = ids.sorted { $0.distance(to: target) < $1.distance(to: target) }
        for (closer, farther) in zip(sorted, sorted.dropFirst()) {
            #expect(!farther.isCloser(to: target, than: closer))
            #expect(closer.commonPrefixLength(with: target) >= farther.commonPrefixLength(with: target))
        }
    }
}
