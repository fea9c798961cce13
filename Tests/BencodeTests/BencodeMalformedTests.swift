import Bencode
import Testing

@Suite("Bencode rejects malformed input with typed errors")
struct BencodeMalformedTests {
    @Test("malformed documents", arguments: [
        ("", BencodeError.truncated),
        ("i", .truncated),
        ("i12", .truncated),
        ("i-", .truncated),
        ("l", .truncated),
        ("d", .truncated),
        ("li1e", .truncated),
        ("d1:a", .truncated),
        ("5:abc", .truncated),
        ("1:", .truncated),
        ("12", .truncated),
        ("ie", .invalidInteger),
        ("i-e", .invalidInteger),
        ("i-0e", .invalidInteger),
        ("i00e", .invalidInteger),
        ("i03e", .invalidInteger),
        ("i-03e", .invalidInteger),
        ("i+1e", .invalidInteger),
        ("i--1e", .invalidInteger),
        ("i1.5e", .invalidInteger),
        ("i 1e", .invalidInteger),
        ("i9223372036854775808e", .invalidInteger),
        ("i-9223372036854775809e", .invalidInteger),
        ("i99999999999999999999999e", .invalidInteger),
        ("05:hello", .invalidLength),
        ("00:", .invalidLength),
        ("3x:abc", .invalidLength),
        ("1 :a", .invalidLength),
        ("99999999999:", .tooLarge),
        ("999999999999999999999999999999:", .tooLarge),
        ("d1:a1:x1:a1:ye", .duplicateKey),
        ("di1e1:ae", .nonStringKey),
        ("dle1:ae", .nonStringKey),
        ("dde1:ae", .nonStringKey),
        ("dxe", .unexpectedByte),
        ("d1:ae", .unexpectedByte),
        ("x", .unexpectedByte),
        ("-1:a", .unexpectedByte),
        (":", .unexpectedByte),
        ("e", .unexpectedByte),
        ("i1ei2e", .trailingData),
        ("4:spamx", .trailingData),
        ("lee", .trailingData),
    ])
    func rejects(text: String, expected: BencodeError) {
        #expect(throws: expected) { try BencodeDecoder().decode(text) }
        #expect(throws: expected) { try BencodeDecoder.canonical.decode(text) }
    }

    @Test func unsortedKeysAreAcceptedByDefaultAndRejectedWhenCanonicalIsRequired() throws {
        let text = "d1:b1:x1:a1:ye"
        #expect(try BencodeDecoder().decode(text) == ["a": "y", "b": "x"])
        #expect(throws: BencodeError.unsortedKeys) { try BencodeDecoder.canonical.decode(text) }
        // Ordering is by raw bytes, so "ab" sorts after "a" and before "b".
        #expect(throws: BencodeError.unsortedKeys) { try BencodeDecoder.canonical.decode("d2:abi1e1:ai2ee") }
        #expect(try BencodeDecoder.canonical.decode("d1:ai2e2:abi1ee") == ["a": 2, "ab": 1])
        // Lenient order still never lets a key appear twice, even far apart.
        #expect(throws: BencodeError.duplicateKey) { try BencodeDecoder().decode("d1:a1:x1:b1:y1:a1:ze") }
    }

    @Test func nestingUpToTheLimitIsAcceptedAndOneMoreIsTooDeep() throws {
        let limit = BencodeDecoder.Limits().maxDepth
        let atLimit = String(repeating: "l", count: limit) + String(repeating: "e", count: limit)
        #expect(throws: Never.self) { try BencodeDecoder().decode(atLimit) }
        let overLimit = String(repeating: "l", count: limit + 1) + String(repeating: "e", count: limit + 1)
        #expect(throws: BencodeError.tooDeep) { try BencodeDecoder().decode(overLimit) }
        let dictionaries = String(repeating: "d1:a", count: limit + 1) + "i1e" + String(repeating: "e", count: limit + 1)
        #expect(throws: BencodeError.tooDeep) { try BencodeDecoder().decode(dictionaries) }
    }

    @Test func hundredThousandNestedListsFailFastWithoutOverflowingTheStack() {
        let attack = [UInt8](repeating: UInt8(ascii: "l"), count: 100_000)
        #expect(throws: BencodeError.tooDeep) { try BencodeDecoder().decode(attack) }
        let dictionaries = Array([[UInt8]](repeating: [UInt8](ascii: "d1:a"), count: 100_000).joined())
        #expect(throws: BencodeError.tooDeep) { try BencodeDecoder().decode(dictionaries) }
    }

    @Test func inputLargerThanTheLimitIsTooLarge() {
        let decoder = BencodeDecoder(limits: .init(maxInputSize: 10))
        #expect(throws: BencodeError.tooLarge) { try decoder.decode("11:hello world") }
        #expect(throws: Never.self) { try decoder.decode("5:hello") }
        // A length prefix beyond the size limit is refused before looking for the bytes.
        #expect(throws: BencodeError.tooLarge) { try decoder.decode("11:") }
    }

    @Test func tooManyElementsIsRejected() {
        let decoder = BencodeDecoder(limits: .init(maxElementCount: 100))
        let list = "l" + String(repeating: "i1e", count: 200) + "e"
        #expect(throws: BencodeError.tooManyElements) { try decoder.decode(list) }
        let smallList = "l" + String(repeating: "i1e", count: 99) + "e"
        #expect(throws: Never.self) { try decoder.decode(smallList) }
        // Keys count too.
        let dictionary = "d" + (0..<60).map { "3:k\(10 + $0)i1e" }.joined() + "e"
        #expect(throws: BencodeError.tooManyElements) { try decoder.decode(dictionary) }
    }
}
