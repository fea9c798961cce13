import Bencode
import Testing

/// `BencodeDocument` must accept exactly what `BencodeDecoder.decode` accepts, fail with the
/// same error, and read back the same values.
@Suite("Bencode document index")
struct BencodeDocumentTests {
    static let lenient = BencodeDecoder(limits: .init(maxInputSize: 4096, maxDepth: 16, maxElementCount: 512))
    static let strict = BencodeDecoder(limits: lenient.limits, keyOrder: .requireSorted)

    /// Decoding through the tree and through the index give the same outcome.
    static func expectSameOutcome(_ input: [UInt8], decoder: BencodeDecoder, sourceLocation: SourceLocation = #_sourceLocation) {
        let tree: Result<BencodeValue, BencodeError>
        do { tree = .success(try decoder.decode(input)) } catch { tree = .failure(error) }
        let indexed: Result<BencodeValue, BencodeError>
        do {
            let document = try BencodeDocument(input, decoder: decoder)
            indexed = .success(document.value(document.root))
            if case .success(let value) = tree { checkNodes(of: document, against: value, sourceLocation: sourceLocation) }
        } catch {
            indexed = .failure(error)
        }
        #expect(indexed == tree, "input \(String(decoding: input, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    /// Every node's value, raw bytes, canonical form and key lookups agree with the tree.
    static func checkNodes(of document: BencodeDocument, against root: BencodeValue, sourceLocation: SourceLocation) {
        #expect(document.value(document.root) == root, sourceLocation: sourceLocation)
        for node in 0..<document.nodeCount {
            let raw = Array(document.bytes[document.rawRange(node)])
            let value = document.value(node)
            #expect((try? lenient.decode(raw)) == value, sourceLocation: sourceLocation)
            let canonical = try? CanonicalBencode(validating: raw, limits: lenient.limits)
            #expect(document.canonicalValue(node) == canonical, sourceLocation: sourceLocation)
            #expect(document.canonicalValue(node)?.value == canonical?.value, sourceLocation: sourceLocation)
            if case .dictionary(let entries) = value {
                for (key, child) in entries {
                    let text = String(decoding: key, as: UTF8.self)
                    // Keys that are not valid UTF-8 cannot be asked for by a String.
                    guard Array(text.utf8) == key else { continue }
                    #expect(document.value(forKey: text, in: node).map(document.value) == child, sourceLocation: sourceLocation)
                }
                #expect(document.value(forKey: "no such key", in: node) == nil, sourceLocation: sourceLocation)
            }
            switch value {
            case .integer(let number): #expect(document.integer(node) == number && document.kind(node) == .integer)
            case .bytes(let bytes): #expect(document.bytes(node).map(Array.init) == bytes && document.kind(node) == .bytes)
            case .list(let elements):
                #expect(document.elements(node).map { Array($0).map(document.value) } == elements)
                #expect(document.count(node) == elements.count)
            case .dictionary(let entries): #expect(document.count(node) == entries.count && document.kind(node) == .dictionary)
            }
        }
    }

    @Test func agreesWithTheTreeDecoderOnFuzzedInputs() {
        var generator = SeededGenerator(seed: 0xD0C)
        for iteration in 0..<20_000 {
            let input = BencodeFuzzTests.randomInput(iteration: iteration, using: &generator)
            Self.expectSameOutcome(input, decoder: Self.lenient)
            Self.expectSameOutcome(input, decoder: Self.strict)
        }
    }

    @Test("agrees on hand-picked inputs", arguments: [
        "", "i", "i-0e", "i01e", "i9223372036854775808e", "i-9223372036854775808e", "01:a", "1:", "3:ab",
        "le", "llleee", "d", "de", "d1:ai1ee", "d1:a", "di1ei2ee", "dlee", "d1:ai1e1:ai2ee", "d1:bi1e1:ai2ee",
        "d1:ai1e1:bi2e1:ai3ee", "d1:ai1e1:bi2e1:ai3", "d1:bi1e1:ai2e1:bi3ee", "d1:ai1ee trailing", "i1ei2e",
        "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", "d1:vd1:bi1e1:ai1eee", "d1:vd1:ai1e1:bi1eee",
    ])
    func handPicked(text: String) {
        Self.expectSameOutcome(Array(text.utf8), decoder: Self.lenient)
        Self.expectSameOutcome(Array(text.utf8), decoder: Self.strict)
    }

    @Test func limitsAreTheSame() {
        let tight = BencodeDecoder(limits: .init(maxInputSize: 64, maxDepth: 3, maxElementCount: 6))
        for text in ["lllleeee", "llleee", "li1ei2ei3ei4ei5ee", "li1ei2ei3ei4ei5ei6ee", "d1:ai1e1:bi2e1:ci3ee",
                     String(repeating: "x", count: 65), "70:" + String(repeating: "x", count: 60)] {
            Self.expectSameOutcome(Array(text.utf8), decoder: tight)
        }
    }

    /// A large unsorted dictionary switches the duplicate check to a hash set; the outcome
    /// (including where a repeated key is caught) must not change.
    @Test func largeUnsortedDictionaries() {
        var generator = SeededGenerator(seed: 0xB16)
        for round in 0..<300 {
            let count = Int.random(in: 10...60, using: &generator)
            var keys = (0..<count).map { "k\($0)" }.shuffled(using: &generator)
            if round % 2 == 0 {
                // Repeat an earlier key somewhere later.
                let from = Int.random(in: 0..<count, using: &generator)
                let to = Int.random(in: 0...count, using: &generator)
                keys.insert(keys[from], at: to)
            }
            var text = "d"
            for key in keys { text += "\(key.utf8.count):\(key)i\(round)e" }
            if round % 3 == 0 { text.removeLast(Int.random(in: 1...3, using: &generator)) } else { text += "e" }
            Self.expectSameOutcome(Array(text.utf8), decoder: BencodeDecoder())
            Self.expectSameOutcome(Array(text.utf8), decoder: BencodeDecoder(keyOrder: .requireSorted))
        }
    }
}
