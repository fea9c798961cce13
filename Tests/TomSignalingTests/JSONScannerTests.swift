import Testing
@testable import TomSignaling

@Suite struct JSONScannerTests {
    func scan(_ text: String) throws(JSONSyntaxError) -> JSONDocument {
        try JSONScanner.scan(Array(text.utf8))
    }

    @Test(arguments: [
        #"{}"#, #"{"a":1}"#, #" { "a" : [1, 2.5, -0.1e-3, true, false, null, {"b":"c"}] } "#,
        #"42"#, #""text""#, "true", "null", "[]", #"[{"a":[[]]}]"#, #""\u00e9\ud83d\ude00\n\"\\\/""#,
    ])
    func acceptsValidJSON(text: String) throws {
        _ = try scan(text)
    }

    @Test(arguments: [
        "", " ", "{", "}", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, "[1,]", "[1 2]", "01", "-", "1.", ".5", "1e",
        "+1", "NaN", "Infinity", "tru", "nul", #""unterminated"#, "\"tab\there\"", #""\x""#, #""\u12g4""#,
        #"{'a':1}"#, #"{a:1}"#, "{} {}", "[] x", "\u{00}", #"{"a":1}}"#,
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONSyntaxError.self) { try scan(text) }
    }

    @Test func reportsTopLevelMembersWithExactRawBytes() throws {
        let text = #"{"type":"role-assign","roles": [ "a" , "b" ],"n":0,"s":"x\"y"}"#
        let bytes = Array(text.utf8)
        let members = try #require(try JSONScanner.scan(bytes).members)
        #expect(members["type"]?.stringValue == "role-assign")
        #expect(String(decoding: bytes[members["roles"]!.raw], as: UTF8.self) == #"[ "a" , "b" ]"#)
        #expect(members["n"]?.isTruthy == false)
        #expect(members["s"]?.stringValue == #"x"y"#)
    }

    @Test func nonObjectTopLevelHasNoMembers() throws {
        #expect(try scan("[1]").members == nil)
        #expect(try scan("null").members == nil)
    }

    @Test func duplicateKeysKeepTheLastLikeJavaScript() throws {
        #expect(try scan(#"{"type":"a","type":"b"}"#).members?["type"]?.stringValue == "b")
    }

    @Test func javaScriptTruthiness() throws {
        let members = try #require(try scan(#"{"e":"","s":"x","z":0,"zf":-0.0e5,"n":1,"f":false,"t":true,"u":null,"a":[],"o":{}}"#).members)
        #expect(members["e"]?.isTruthy == false)
        #expect(members["s"]?.isTruthy == true)
        #expect(members["z"]?.isTruthy == false)
        #expect(members["zf"]?.isTruthy == false)
        #expect(members["n"]?.isTruthy == true)
        #expect(members["f"]?.isTruthy == false)
        #expect(members["t"]?.isTruthy == true)
        #expect(members["u"]?.isTruthy == false)
        #expect(members["a"]?.isTruthy == true)
        #expect(members["o"]?.isTruthy == true)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let members = try #require(try scan(#"{"k":"\u0041\ud83d\ude00\ud800x\n"}"#).members)
        #expect(members["k"]?.stringValue == "A😀\u{FFFD}x\n")
    }

    @Test func boundsNestingDepthWithoutExhaustingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.tooDeep) { try scan(deep) }
        let object = #"{"a":"# + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"
        #expect(throws: JSONSyntaxError.tooDeep) { try scan(object) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try scan(fine) }
    }

    @Test func whitespaceIsReported() throws {
        #expect(try scan(#"{"a":1}"#).hasWhitespace == false)
        #expect(try scan(#"{"a": 1}"#).hasWhitespace == true)
        #expect(try scan(#"{"a":"with space"}"#).hasWhitespace == false)
    }

    @Test func randomInputNeverTraps() {
        var generator = SplitMix64(seed: 0x70_6d)
        let alphabet = Array(#"{}[]",:0123456789-+.eEtrufalsn\u"ab "#.utf8) + [0x00, 0xff, 0x0a]
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 40)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            _ = try? JSONScanner.scan(bytes)
        }
    }
}

/// A tiny deterministic generator so fuzz loops replay exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
