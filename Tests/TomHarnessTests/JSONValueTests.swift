import Testing

@testable import tom_harness

@Suite("tom-harness JSONValue")
struct JSONValueTests {
    @Test func parsesEveryKindAndKeepsBooleansApartFromNumbers() {
        let value = JSONValue.parse(#"{"a":true,"b":1,"c":-1.5,"d":"x","e":null,"f":[1,"two",{"g":[]}]}"#)
        #expect(value == ["a": true, "b": 1, "c": -1.5, "d": "x", "e": nil, "f": [1, "two", ["g": []]]])
        #expect(value?["a"] != .number(1))
        #expect(value?["b"] != .bool(true))
    }

    @Test func memberOrderDoesNotMatterButArrayOrderDoes() {
        #expect(JSONValue.parse(#"{"x":1,"y":2}"#) == JSONValue.parse(#"{"y":2,"x":1}"#))
        #expect(JSONValue.parse("[1,2]") != JSONValue.parse("[2,1]"))
    }

    @Test func topLevelScalarsParseAndGarbageDoesNot() {
        #expect(JSONValue.parse("42") == 42)
        #expect(JSONValue.parse("null") == .null)
        #expect(JSONValue.parse(#""s""#) == "s")
        for text in ["", "{not json", #"{"type":"signal""#, "undefined", "{'a':1}"] {
            #expect(JSONValue.parse(text) == nil, "\(text)")
        }
    }

    @Test func rendersTypeFirstThenSortedMembers() {
        let message: JSONValue = ["to": "b", "type": "signal", "from": "a", "payload": ["z": 1, "a": [true, nil]]]
        #expect(message.text == #"{"type":"signal","from":"a","payload":{"a":[true,null],"z":1},"to":"b"}"#)
    }

    @Test func rendersEscapesAndRoundTrips() {
        let tricky: JSONValue = ["s": "q\"b\\n\n\r\t\u{01} h\u{e9}llo \u{1F600}", "n": 0.25, "big": 12_345_678_901]
        #expect(tricky.text.contains(#"q\"b\\n\n\r\t\u0001 h"#))
        #expect(JSONValue.parse(tricky.text) == tricky)
    }

    @Test func settingAndReadingMembers() {
        let message: JSONValue = ["type": "register", "nodeId": "n"]
        let withKey = message.setting("publicKey", to: "k")
        #expect(withKey["publicKey"]?.stringValue == "k")
        #expect(withKey.setting("publicKey", to: nil) == message)
        #expect(message.messageType == "register")
        #expect(message.memberNames == ["type", "nodeId"])
        #expect(JSONValue.number(3).setting("x", to: 1) == .number(3))
    }

    @Test func shortensLongText() {
        #expect(JSONValue.shorten("abc", 5) == "abc")
        #expect(JSONValue.shorten(String(repeating: "x", count: 10), 4) == "xxxx...(10 chars)")
    }
}
