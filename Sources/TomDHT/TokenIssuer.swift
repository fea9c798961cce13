import TomCrypto

/// BEP 5 write tokens: a `get_peers` or `get` answer hands the requester a token that only
/// its own IP can later present with `announce_peer` or `put`.
///
/// A token is a keyed BLAKE2b MAC of the requester's IP bytes under a secret that rotates
/// every `rotationInterval`; tokens made under the previous secret are still accepted, so
/// a token lives between one and two intervals. A keyed hash, unlike a CRC, cannot be
/// forged without the secret. Secrets come from the injected generator and time is passed
/// in, so the issuer is deterministic under test.
public struct TokenIssuer: Sendable {
    /// Long enough that guessing is hopeless (2^-64 per try), short enough to keep packets small.
    public static let tokenLength = 8
    static let secretLength = 32
    /// libsodium's smallest BLAKE2b output; the token is its prefix.
    static let macLength = 16

    public let rotationInterval: DHTDuration
    private var currentSecret: [UInt8]
    private var previousSecret: [UInt8]
    private var rotatedAt: DHTTime

    public init(rotationInterval: DHTDuration, now: DHTTime, using generator: inout some RandomNumberGenerator) {
        self.rotationInterval = rotationInterval
        self.currentSecret = Self.freshSecret(using: &generator)
        // A random previous secret validates nothing anyone has seen.
        self.previousSecret = Self.freshSecret(using: &generator)
        self.rotatedAt = now
    }

    /// Rotates the secret when an interval has passed. After two or more intervals of
    /// silence both secrets are replaced, so no stale token survives a long pause.
    public mutating func rotateIfDue(now: DHTTime, using generator: inout some RandomNumberGenerator) {
        let elapsed = now.elapsed(since: rotatedAt)
        guard elapsed >= rotationInterval else { return }
        if elapsed >= rotationInterval + rotationInterval {
            previousSecret = Self.freshSecret(using: &generator)
        } else {
            previousSecret = currentSecret
        }
        currentSecret = Self.freshSecret(using: &generator)
        rotatedAt = now
    }

    /// The earliest time a rotation is due, for a driver's wake-up.
    public var nextRotation: DHTTime { rotatedAt + rotationInterval }

    /// The token to hand to a requester at `ip`.
    public func token(for ip: IPAddress) -> [UInt8] {
        Self.mac(ip: ip, secret: currentSecret)
    }

    /// Whether `token` was issued to `ip` under the current or the previous secret.
    public func isValid(_ token: [UInt8], for ip: IPAddress) -> Bool {
        guard token.count == Self.tokenLength else { return false }
        return Self.constantTimeEqual(token, Self.mac(ip: ip, secret: currentSecret))
            || Self.constantTimeEqual(token, Self.mac(ip: ip, secret: previousSecret))
    }

    private static func mac(ip: IPAddress, secret: [UInt8]) -> [UInt8] {
        Array(Hashing.blake2b(ip.bytes, key: secret, outputLength: macLength).prefix(tokenLength))
    }

    private static func freshSecret(using generator: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<secretLength).map { _ in UInt8.random(in: 0...UInt8.max, using: &generator) }
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}
