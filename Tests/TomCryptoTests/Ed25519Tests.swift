import Testing
@testable import TomCrypto

@Suite struct Ed25519Tests {
    // RFC 8032 section 7.1, test 1.
    let seed = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!
    let publicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    let emptyMessageSignature = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

    @Test func derivesRFC8032PublicKeyFromSeed() {
        let pair = Ed25519KeyPair(seed: seed)!
        #expect(pair.publicKeyHex == publicKey)
    }

    @Test func signsRFC8032VectorExactly() {
        let pair = Ed25519KeyPair(seed: seed)!
        #expect(Hex.encode(pair.sign([])) == emptyMessageSignature)
        #expect(Ed25519.verify(signature: pair.sign([]), message: [], publicKey: pair.publicKey))
    }

    @Test func rejectsTamperedMessagesSignaturesAndKeys() {
        let pair = Ed25519KeyPair.generate()
        let message = Array("hello".utf8)
        var signature = pair.sign(message)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: Array("hellp".utf8), publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: Ed25519KeyPair.generate().publicKey))
        signature[0] ^= 1
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: [1, 2, 3], message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: pair.sign(message), message: message, publicKey: [0, 1]))
    }

    @Test func rejectsSeedsOfWrongLength() {
        #expect(Ed25519KeyPair(seed: []) == nil)
        #expect(Ed25519KeyPair(seed: [UInt8](repeating: 7, count: 31)) == nil)
        #expect(Ed25519KeyPair(seed: [UInt8](repeating: 7, count: 64)) == nil)
    }

    @Test func generatesDistinctKeys() {
        #expect(Ed25519KeyPair.generate().publicKey != Ed25519KeyPair.generate().publicKey)
    }
}

@Suite struct HashingAndHexTests {
    @Test func sha1MatchesFIPSVector() {
        #expect(Hex.encode(Hashing.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func blake2bIsKeyedAndSized() {
        let key = [UInt8](repeating: 1, count: 32)
        let plain = Hashing.blake2b(Array("x".utf8))
        let keyed = Hashing.blake2b(Array("x".utf8), key: key)
        #expect(plain.count == 32)
        #expect(plain != keyed)
        #expect(Hashing.blake2b(Array("x".utf8), key: key, outputLength: 16).count == 16)
        // BLAKE2b-512 of the empty string (RFC 7693 appendix / reference implementation).
        #expect(Hex.encode(Hashing.blake2b([], outputLength: 64)).hasPrefix("786a02f742015903c6c6fd852552d272"))
    }

    @Test func hexRoundTripsAndRejectsBadInput() {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.decode("") == [])
    }
}
