import Bencode
import Testing

@Suite("Bencode encoding and round trips")
struct BencodeRoundTripTests {
    @Test("decodes the BEP 3 examples", arguments: [
        ("4:spam", BencodeValue.string("spam")),
        ("0:", .bytes([])),
        ("i3e", .integer(3)),
        ("i-3e", .integer(-3)),
        ("i0e", .integer(0)),
        ("l4:spam4:eggse", ["spam", "eggs"] as BencodeValue),
        ("d3:cow3:moo4:spam4:eggse", ["cow": "moo", "spam": "eggs"] as BencodeValue),
        ("d4:spaml1:a1:bee", ["spam": ["a", "b"]] as BencodeValue),
        ("le", .list([])),
        ("de", .dictionary([:])),
    ])
    func decodesExamples(text: String, expected: BencodeValue) throws {
        #expect(try BencodeDecoder.canonical.decode(text) == expected)
        #expect(expected.encoded() == [UInt8](ascii: text))
    }

    @Test func integerExtremesRoundTrip() throws {
        for number in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max] {
            let encoded = BencodeValue.integer(number).encoded()
            #expect(try BencodeDecoder.canonical.decode(encoded) == .integer(number))
        }
        #expect(BencodeValue.integer(Int64.min).encoded() == [UInt8](ascii: "i-9223372036854775808e"))
        #expect(BencodeValue.integer(Int64.max).encoded() == [UInt8](ascii: "i9223372036854775807e"))
    }

    @Test func dictionaryKeysAreWrittenInRawByteOrder() {
        let value = BencodeValue.dictionary([
            [0xFF]: 1,
            Array("b".utf8): 2,
            Array("ab".utf8): 3,
            Array("a".utf8): 4,
            [0x00]: 5,
            []: 6,
        ])
        let expected: [UInt8] = [UInt8](ascii: "d0:i6e1:") + [0x00] + [UInt8](ascii: "i5e1:ai4e2:abi3e1:bi2e1:")
            + [0xFF] + [UInt8](ascii: "i1ee")
        #expect(value.encoded() == expected)
    }

    @Test func nestedValuesRoundTripThroughTheCanonicalDecoder() throws {
        let value: BencodeValue = [
            "list": [1, -2, "three", ["nested": []], .bytes([0, 255, 10])],
            "empty": "",
            "dict": ["z": 0, "a": ["x": "y"]],
        ]
        let encoded = value.encoded()
        #expect(try BencodeDecoder.canonical.decode(encoded) == value)
        #expect(try BencodeDecoder().decode(encoded) == value)
    }

    @Test func buildersAndAccessors() {
        let value: BencodeValue = ["name": "tom", "port": 6881, "tags": ["a"]]
        #expect(value["name"]?.stringValue == "tom")
        #expect(value["port"]?.integerValue == 6881)
        #expect(value["tags"]?.listValue == ["a"])
        #expect(value["missing"] == nil)
        #expect(value.dictionaryValue?.count == 3)
        #expect(BencodeValue.bytes([0xFF]).stringValue == nil)
        #expect(BencodeValue.integer(1).bytesValue == nil)
        #expect(BencodeValue.string("x")["key"] == nil)
        #expect(BencodeValue.dictionary(stringKeys: ["k": 1]) == ["k": 1])
    }

    @Test func canonicalBencodeKeepsBytesAndValueTogether() throws {
        let value: BencodeValue = ["b": 1, "a": "x"]
        let canonical = CanonicalBencode(value)
        #expect(canonical.bytes == [UInt8](ascii: "d1:a1:x1:bi1ee"))
        #expect(try CanonicalBencode(validating: canonical.bytes) == canonical)
        #expect(try CanonicalBencode(validating: canonical.bytes).value == value)
        #expect(throws: BencodeError.unsortedKeys) {
            try CanonicalBencode(validating: [UInt8](ascii: "d1:bi1e1:a1:xe"))
        }
        #expect(throws: BencodeError.invalidInteger) {
            try CanonicalBencode(validating: [UInt8](ascii: "i01e"))
        }
    }
}
