import Bencode
import Testing

@Suite("Bencode fuzzing")
struct BencodeFuzzTests {
    /// Bytes that make up bencode, so random inputs get past the first byte often.
    static let structuralBytes = [UInt8](ascii: "ilde0123456789:-")

    @Test func randomInputsNeverCrashAndAcceptedInputsRoundTrip() {
        var generator = SeededGenerator(seed: 0x7017_D47)
        let lenient = BencodeDecoder(limits: .init(maxInputSize: 4096, maxDepth: 16, maxElementCount: 512))
        let strict = BencodeDecoder(limits: lenient.limits, keyOrder: .requireSorted)
        var accepted = 0
        for iteration in 0..<20_000 {
            let input = Self.randomInput(iteration: iteration, using: &generator)
            if let value = try? lenient.decode(input) {
                accepted += 1
                // Whatever is accepted re-encodes canonically and decodes back to itself.
                let canonical = value.encoded()
                #expect((try? strict.decode(canonical)) == value)
            }
            if let value = try? strict.decode(input) {
                // Canonical input has exactly one encoding: the input itself.
                #expect(value.encoded() == input)
            }
            _ = try? lenient.rawBytes(at: ["a", "v"], in: input)
        }
        #expect(accepted > 5_000)
    }

    /// Cycles through biased random bytes, mutations of a valid document, and valid random
    /// documents (so that the acceptance path is exercised as much as the rejection paths).
    static func randomInput(iteration: Int, using generator: inout SeededGenerator) -> [UInt8] {
        let length = Int.random(in: 0...64, using: &generator)
        if iteration % 3 == 2 {
            return randomValue(depth: 0, using: &generator).encoded()
        }
        if iteration % 3 == 0 {
            return (0..<length).map { _ in
                Bool.random(using: &generator)
                    ? structuralBytes.randomElement(using: &generator) ?? 0
                    : UInt8.random(in: 0...255, using: &generator)
            }
        }
        var document = [UInt8](ascii: "d1:ad2:id20:abcdefghij01234567891:vl3:abci-42edee1:q3:put1:t2:aa1:y1:qe")
        let mutations = Int.random(in: 1...3, using: &generator)
        for _ in 0..<mutations where !document.isEmpty {
            let index = Int.random(in: 0..<document.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: document[index] = structuralBytes.randomElement(using: &generator) ?? 0
            case 1: document.remove(at: index)
            default: document.insert(UInt8.random(in: 0...255, using: &generator), at: index)
            }
        }
        return document
    }

    static func randomValue(depth: Int, using generator: inout SeededGenerator) -> BencodeValue {
        let choice = depth >= 4 ? Int.random(in: 0..<2, using: &generator) : Int.random(in: 0..<4, using: &generator)
        switch choice {
        case 0:
            return .integer(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0...63, using: &generator))
        case 1:
            return .bytes((0..<Int.random(in: 0...12, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case 2:
            return .list((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var entries: [[UInt8]: BencodeValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                let key = (0..<Int.random(in: 0...3, using: &generator)).map { _ in UInt8.random(in: 97...100, using: &generator) }
                entries[key] = randomValue(depth: depth + 1, using: &generator)
            }
            return .dictionary(entries)
        }
    }
}
