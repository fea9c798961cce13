import Bencode
import Testing
import TomDHT

@Suite("KRPC fuzzing")
struct KRPCFuzzTests {
    static let seeds: [String] = [
        "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
        "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
        "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
        "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
        "d1:ad2:id20:abcdefghij01234567891:k32:" + String(repeating: "k", count: 32) + "4:salt6:foobar3:seqi1e3:sig64:"
            + String(repeating: "s", count: 64) + "5:token1:x1:v12:Hello World!e1:q3:put1:t2:aa1:y1:qe",
        "d1:rd2:id20:abcdefghij01234567895:nodes26:" + String(repeating: "n", count: 26) + "e2:ip6:abcdef1:t2:aa1:y1:re",
    ]

    @Test func mutatedMessagesNeverCrashAndAcceptedOnesRoundTrip() {
        var generator = DHTRandom(seed: 0xD47)
        var accepted = 0
        for iteration in 0..<20_000 {
            var input = Array(Self.seeds[iteration % Self.seeds.count].utf8)
            ByteMutation.mutate(&input, using: &generator)
            guard let message = try? KRPCMessage.decode(input) else { continue }
            accepted += 1
            // Anything accepted re-encodes to something that decodes to the same message.
            #expect((try? KRPCMessage.decode(message.encoded())) == message)
            #expect(message.encoded() == message.bencodeValue.encoded())
        }
        #expect(accepted > 1_000)
    }

    @Test func randomBytesNeverCrash() {
        var generator = DHTRandom(seed: 77)
        for _ in 0..<5_000 {
            let input = (0..<Int.random(in: 0...200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? KRPCMessage.decode(input)
        }
    }
}
