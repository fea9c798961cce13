import Bencode
import Testing
import TomDHT

@Suite("BEP 44 signed buffer")
struct MutableItemSigningTests {
    let value = CanonicalBencode(.string("Hello World!"))

    @Test func bufferWithoutSaltMatchesTheBEP44Vector() {
        let buffer = MutableItemSigning.signedBytes(salt: nil, sequenceNumber: 1, value: value)
        #expect(buffer == Array("3:seqi1e1:v12:Hello World!".utf8))
        // An empty salt counts as no salt.
        #expect(MutableItemSigning.signedBytes(salt: [], sequenceNumber: 1, value: value) == buffer)
    }

    @Test func bufferWithSaltMatchesTheBEP44Vector() {
        let buffer = MutableItemSigning.signedBytes(salt: Array("foobar".utf8), sequenceNumber: 1, value: value)
        #expect(buffer == Array("4:salt6:foobar3:seqi1e1:v12:Hello World!".utf8))
    }

    @Test func structuredValuesAreSignedAsTheirCanonicalBytes() {
        let structured = CanonicalBencode(["b": 2, "a": 1])
        let buffer = MutableItemSigning.signedBytes(salt: nil, sequenceNumber: -5, value: structured)
        #expect(buffer == Array("3:seqi-5e1:vd1:ai1e1:bi2ee".utf8))
    }
}
