import Bencode
import TomCrypto

/// Where BEP 44 items live in the id space.
public enum ItemTarget {
    /// Immutable items: SHA-1 of the bencoded value.
    public static func immutable(_ value: CanonicalBencode) -> NodeID {
        // SHA-1 always yields 20 bytes.
        NodeID(bytes: Hashing.sha1(value.bytes))!
    }

    /// Mutable items: SHA-1 of the public key followed by the salt (an empty salt adds nothing).
    public static func mutable(publicKey: [UInt8], salt: [UInt8]) -> NodeID {
        NodeID(bytes: Hashing.sha1(publicKey + salt))!
    }
}

/// A BEP 44 immutable item: a value addressed by its own hash.
public struct ImmutableItem: Hashable, Sendable {
    public var value: CanonicalBencode

    public init(value: CanonicalBencode) {
        self.value = value
    }

    public var target: NodeID { ItemTarget.immutable(value) }
}

/// A BEP 44 mutable item: a value signed under a public key, versioned by `sequenceNumber`.
public struct MutableItem: Hashable, Sendable {
    public var publicKey: [UInt8]
    /// Empty when the item has no salt; BEP 44 treats an empty salt as none.
    public var salt: [UInt8]
    public var sequenceNumber: Int64
    public var value: CanonicalBencode
    public var signature: [UInt8]

    public init(publicKey: [UInt8], salt: [UInt8], sequenceNumber: Int64, value: CanonicalBencode, signature: [UInt8]) {
        self.publicKey = publicKey
        self.salt = salt
        self.sequenceNumber = sequenceNumber
        self.value = value
        self.signature = signature
    }

    /// Signs `value` with `key` over the exact BEP 44 buffer.
    public static func signed(
        value: CanonicalBencode,
        salt: [UInt8] = [],
        sequenceNumber: Int64,
        key: ItemSigningKey
    ) -> MutableItem {
        let message = MutableItemSigning.signedBytes(salt: salt, sequenceNumber: sequenceNumber, value: value)
        return MutableItem(
            publicKey: key.publicKey,
            salt: salt,
            sequenceNumber: sequenceNumber,
            value: value,
            signature: key.sign(message)
        )
    }

    public var target: NodeID { ItemTarget.mutable(publicKey: publicKey, salt: salt) }

    /// The buffer the signature covers.
    public var signedBytes: [UInt8] {
        MutableItemSigning.signedBytes(salt: salt, sequenceNumber: sequenceNumber, value: value)
    }

    /// Whether `signature` is a valid Ed25519 signature of `signedBytes` under `publicKey`.
    public var hasValidSignature: Bool {
        Ed25519.verify(signature: signature, message: signedBytes, publicKey: publicKey)
    }
}

/// Either kind of BEP 44 item, as a lookup returns it.
public enum DHTItem: Hashable, Sendable {
    case immutable(ImmutableItem)
    case mutable(MutableItem)

    public var target: NodeID {
        switch self {
        case .immutable(let item): item.target
        case .mutable(let item): item.target
        }
    }

    public var value: CanonicalBencode {
        switch self {
        case .immutable(let item): item.value
        case .mutable(let item): item.value
        }
    }

    public var sequenceNumber: Int64? {
        if case .mutable(let item) = self { return item.sequenceNumber }
        return nil
    }
}
