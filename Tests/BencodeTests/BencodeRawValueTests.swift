import Bencode
import Testing

@Suite("Exact bytes of sub-values")
struct BencodeRawValueTests {
    // A put query whose `v` has unsorted keys, as a careless or malicious client might send.
    let message = [UInt8](ascii: "d1:ad2:id20:abcdefghij01234567891:vd1:b1:x1:a1:yee1:q3:put1:t2:aa1:y1:qe")

    @Test func rawBytesAreReturnedExactlyAsSent() throws {
        let decoder = BencodeDecoder()
        let raw = try #require(try decoder.rawBytes(at: ["a", "v"], in: message))
        #expect(Array(raw) == [UInt8](ascii: "d1:b1:x1:a1:ye"))
        // Re-encoding the decoded value would sort the keys and hide the problem.
        let decoded = try decoder.decode(message)
        #expect(decoded["a"]?["v"]?.encoded() == [UInt8](ascii: "d1:a1:y1:b1:xe"))
        #expect(throws: BencodeError.unsortedKeys) { try CanonicalBencode(validating: raw) }
    }

    @Test func rangesPointIntoTheInput() throws {
        let decoder = BencodeDecoder()
        let whole = try decoder.rangeOfValue(at: [], in: message)
        #expect(whole == message.indices)
        let id = try #require(try decoder.rangeOfValue(at: ["a", "id"], in: message))
        #expect(Array(message[id]) == [UInt8](ascii: "20:abcdefghij0123456789"))
        let type = try #require(try decoder.rangeOfValue(at: ["y"], in: message))
        #expect(Array(message[type]) == [UInt8](ascii: "1:q"))
    }

    @Test func listIndicesAndMissingPaths() throws {
        let input = [UInt8](ascii: "d1:el3:abci7eee")
        let decoder = BencodeDecoder()
        #expect(try decoder.rawBytes(at: ["e", 0], in: input).map(Array.init) == [UInt8](ascii: "3:abc"))
        #expect(try decoder.rawBytes(at: ["e", 1], in: input).map(Array.init) == [UInt8](ascii: "i7e"))
        #expect(try decoder.rawBytes(at: ["e", 2], in: input) == nil)
        #expect(try decoder.rawBytes(at: ["x"], in: input) == nil)
        #expect(try decoder.rawBytes(at: [0], in: input) == nil)
        #expect(try decoder.rawBytes(at: ["e", "k"], in: input) == nil)
        #expect(try decoder.rawBytes(at: ["e", 0, 0], in: input) == nil)
    }

    @Test func malformedInputIsRejectedBeforeLookingForThePath() {
        #expect(throws: BencodeError.trailingData) {
            try BencodeDecoder().rawBytes(at: ["a"], in: [UInt8](ascii: "d1:ai1eeX"))
        }
        #expect(throws: BencodeError.unsortedKeys) {
            try BencodeDecoder.canonical.rawBytes(at: ["a"], in: [UInt8](ascii: "d1:bi1e1:ai1ee"))
        }
    }
}
