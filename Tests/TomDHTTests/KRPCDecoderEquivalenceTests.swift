import Bencode
import Testing
import TomDHT

/// The indexed decoder (`KRPCMessage.decode`) against the tree decoder it replaced
/// (`TreeKRPCDecoder`): the same message, or the same error with the same transaction id,
/// for every input.
@Suite("KRPC: indexed decoder equals the tree decoder")
struct KRPCDecoderEquivalenceTests {
    static let id = "20:abcdefghij0123456789"
    static let hash = "20:mnopqrstuvwxyz123456"
    static let seeds: [String] = KRPCFuzzTests.seeds + [
        "d1:ad2:id\(id)6:target\(hash)4:wantl2:n42:n6ee1:q9:find_node1:t2:aa1:y1:qe",
        "d1:ad2:id\(id)9:info_hash\(hash)e1:q9:get_peers1:t2:aa1:y1:q1:v4:LT012:ip6:abcdef2:roi1ee",
        "d1:ad2:id\(id)3:seqi4e6:target\(hash)e1:q3:get1:t2:aa1:y1:qe",
        "d1:ad3:casi3e2:id\(id)1:k32:" + String(repeating: "k", count: 32) + "3:seqi5e3:sig64:" + String(repeating: "s", count: 64)
            + "6:target\(hash)5:token2:tk1:vd1:ai1e1:bl1:xi-2eeee1:q3:put1:t2:aa1:y1:qe",
        "d1:ad2:id\(id)9:info_hash\(hash)1:k32:" + String(repeating: "k", count: 32) + "3:sig64:" + String(repeating: "s", count: 64)
            + "1:ti17e5:token2:tke1:q20:announce_signed_peer1:t2:aa1:y1:qe",
        "d1:rd2:id\(id)1:k32:" + String(repeating: "k", count: 32) + "6:nodes638:" + String(repeating: "m", count: 38)
            + "3:seqi9e3:sig64:" + String(repeating: "s", count: 64) + "5:token1:x1:vli1ei2eee1:t2:aa1:y1:re",
        "d1:rd2:id\(id)5:peersl104:" + String(repeating: "p", count: 104) + "ee1:t2:aa1:y1:re",
        "d1:eli204e14:Method Unknowne1:t4:abcd1:y1:ee",
        "d1:y1:q1:t2:aa1:q4:ping1:ad2:id\(id)ee",
    ]

    static func outcome(_ decode: () throws(KRPCDecodingError) -> KRPCMessage) -> Result<KRPCMessage, KRPCDecodingError> {
        do { return .success(try decode()) } catch { return .failure(error) }
    }

    static func expectSame(_ input: [UInt8], limits: KRPCLimits = KRPCLimits(), sourceLocation: SourceLocation = #_sourceLocation) {
        let indexed = outcome { () throws(KRPCDecodingError) in try KRPCMessage.decode(input, limits: limits) }
        let tree = outcome { () throws(KRPCDecodingError) in try TreeKRPCDecoder.decode(input, limits: limits) }
        #expect(indexed == tree, "input \(String(decoding: input, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    @Test func seedsDecodeTheSame() throws {
        for seed in Self.seeds {
            Self.expectSame(Array(seed.utf8))
            #expect(throws: Never.self) { try KRPCMessage.decode(Array(seed.utf8)) }
        }
    }

    @Test func mutatedMessagesDecodeTheSame() {
        var generator = DHTRandom(seed: 0xE0)
        let tight = KRPCLimits(maxTransactionIDLength: 3, maxTokenLength: 2, maxNodesPerResponse: 1, maxValuesPerResponse: 1,
                               bencode: BencodeDecoder.Limits(maxInputSize: 400, maxDepth: 3, maxElementCount: 24), maxSignedPeersPerResponse: 0)
        for iteration in 0..<40_000 {
            var input = Array(Self.seeds[iteration % Self.seeds.count].utf8)
            ByteMutation.mutate(&input, using: &generator)
            Self.expectSame(input, limits: iteration % 5 == 0 ? tight : KRPCLimits())
        }
    }

    @Test("malformed cases decode the same", arguments: KRPCMalformedCases.queries.map(\.0) + KRPCMalformedCases.responses.map(\.0)
        + KRPCMalformedCases.errorReplies.map(\.0) + KRPCMalformedCases.envelope.map(\.0))
    func malformed(text: String) {
        Self.expectSame(Array(text.utf8))
    }
}
