import Testing
import TomDHT

@Suite("Write tokens")
struct TokenIssuerTests {
    let alice = IPAddress.v4(IPv4Address(1, 2, 3, 4))
    let mallory = IPAddress.v4(IPv4Address(5, 6, 7, 8))
    let start = DHTTime.at(seconds: 1_000)

    func issuer(seed: UInt64 = 1) -> (TokenIssuer, DHTRandom) {
        var random = DHTRandom(seed: seed)
        let issuer = TokenIssuer(rotationInterval: .minutes(5), now: start, using: &random)
        return (issuer, random)
    }

    @Test func aTokenIsValidOnlyForTheAddressItWasIssuedTo() {
        let (issuer, _) = issuer()
        let token = issuer.token(for: alice)
        #expect(token.count == TokenIssuer.tokenLength)
        #expect(issuer.isValid(token, for: alice))
        #expect(!issuer.isValid(token, for: mallory))
        #expect(issuer.token(for: alice) == token)
    }

    @Test func forgedAndMalformedTokensAreRejected() {
        let (issuer, _) = issuer()
        var forged = issuer.token(for: alice)
        forged[0] ^= 1
        #expect(!issuer.isValid(forged, for: alice))
        #expect(!issuer.isValid([], for: alice))
        #expect(!issuer.isValid(issuer.token(for: alice) + [0], for: alice))
        // Another node's secret makes other tokens.
        let (other, _) = self.issuer(seed: 2)
        #expect(!issuer.isValid(other.token(for: alice), for: alice))
    }

    @Test func thePreviousSecretStaysValidForOneRotation() {
        var (issuer, random) = issuer()
        let first = issuer.token(for: alice)
        issuer.rotateIfDue(now: start + .minutes(4), using: &random)
        #expect(issuer.token(for: alice) == first)  // not due yet

        issuer.rotateIfDue(now: start + .minutes(5), using: &random)
        let second = issuer.token(for: alice)
        #expect(second != first)
        #expect(issuer.isValid(first, for: alice))
        #expect(issuer.isValid(second, for: alice))

        issuer.rotateIfDue(now: start + .minutes(10), using: &random)
        #expect(!issuer.isValid(first, for: alice))
        #expect(issuer.isValid(second, for: alice))
    }

    @Test func aLongSilenceInvalidatesEveryOldToken() {
        var (issuer, random) = issuer()
        let first = issuer.token(for: alice)
        issuer.rotateIfDue(now: start + .minutes(11), using: &random)
        #expect(!issuer.isValid(first, for: alice))
        #expect(issuer.nextRotation == start + .minutes(16))
    }
}
