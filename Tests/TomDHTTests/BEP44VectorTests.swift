import Bencode
import Testing
import TomDHT

/// The published BEP 44 test vectors, and our own seed-based signing vectors.
///
/// The BEP gives its private key in the 64-byte expanded form (clamped scalar plus prefix),
/// from which libsodium cannot sign, so the published vectors are checked by verifying
/// their signatures, signed buffers and targets.
@Suite("BEP 44 test vectors")
struct BEP44VectorTests {
    let publicKey = TestHex.bytes("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548")
    let value = CanonicalBencode(.string("Hello World!"))

    @Test func test1MutableWithoutSalt() throws {
        let item = MutableItem(
            publicKey: publicKey, salt: [], sequenceNumber: 1, value: value,
            signature: TestHex.bytes(
                "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff"
                    + "1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01")
        )
        #expect(item.signedBytes == Array("3:seqi1e1:v12:Hello World!".utf8))
        #expect(item.target == NodeID(hex: "4a533d47ec9c7d95b1ad75f576cffc641853b750"))
        #expect(item.hasValidSignature)
        try expectStoreAccepts(item)
    }

    @Test func test2MutableWithSalt() throws {
        let item = MutableItem(
            publicKey: publicKey, salt: Array("foobar".utf8), sequenceNumber: 1, value: value,
            signature: TestHex.bytes(
                "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d"
                    + "df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08")
        )
        #expect(item.signedBytes == Array("4:salt6:foobar3:seqi1e1:v12:Hello World!".utf8))
        #expect(item.target == NodeID(hex: "411eba73b6f087ca51a3795d9c8c938d365e32c1"))
        #expect(item.hasValidSignature)
        // The same signature does not hold without the salt, nor for another seq.
        var unsalted = item
        unsalted.salt = []
        #expect(!unsalted.hasValidSignature)
        var reseq = item
        reseq.sequenceNumber = 2
        #expect(!reseq.hasValidSignature)
        try expectStoreAccepts(item)
    }

    @Test func test3Immutable() {
        #expect(ImmutableItem(value: value).target == NodeID(hex: "e5f96f6f38320f0f33959cb4d3d656452117aadb"))
    }

    /// RFC 8032 section 7.1, TEST 1: proves the seed-based signer is standard Ed25519.
    @Test func rfc8032SeedVector() throws {
        let key = try #require(ItemSigningKey(seed: TestHex.bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")))
        #expect(key.publicKey == TestHex.bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        #expect(key.sign([]) == TestHex.bytes(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
    }

    /// Our own vectors: the BEP 44 inputs signed from the RFC 8032 seed. Ed25519 is
    /// deterministic, so any implementation must produce these signatures.
    @Test func seedBasedSigningVectors() throws {
        let key = try #require(ItemSigningKey(seed: TestHex.bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")))
        let unsalted = MutableItem.signed(value: value, sequenceNumber: 1, key: key)
        let salted = MutableItem.signed(value: value, salt: Array("foobar".utf8), sequenceNumber: 1, key: key)
        #expect(unsalted.hasValidSignature && salted.hasValidSignature)
        #expect(TestHex.string(unsalted.signature) == Self.unsaltedSignature)
        #expect(TestHex.string(salted.signature) == Self.saltedSignature)
        #expect(unsalted.target.hex == Self.unsaltedTarget)
        #expect(salted.target.hex == Self.saltedTarget)
    }

    static let unsaltedSignature = "5633347580be37f647f52ac0a0bb76724cf2705c20a53ac3eeefc4646378529f"
        + "f81247b35bbbba767328f82d7692499ec088249445ffb5dc3c8cf8a4df2ef20c"
    static let saltedSignature = "a19cf5ec58f30ef8c8569a038c42ca91faf83e94fbb51661b6e06e4e2fa16250"
        + "180e178efd44dc0bc932c8b98d08d012398d779e038297b638c8c9b42b853209"
    static let unsaltedTarget = "5b27aa5589179770e47575b162a1ded97b8bfc6d"
    static let saltedTarget = "1d0d2903ea3da4e9595d74a68025d60c21f35690"

    private func expectStoreAccepts(_ item: MutableItem) throws {
        var store = ItemStore()
        let arguments = PutItemArguments(
            token: [], value: item.value, publicKey: item.publicKey, signature: item.signature,
            sequenceNumber: item.sequenceNumber, salt: item.salt.isEmpty ? nil : item.salt
        )
        #expect(store.put(arguments, now: .zero) == .success(item.target))
    }
}
