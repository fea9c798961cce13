import TomDHT

/// The verified rosters of other gateways in one topic.
///
/// An item is accepted only when its salt names a roster page of this topic, its `seq` is
/// newer than the one held for that page, its value decodes, and its Ed25519 signature
/// verifies under the key it describes. Pushed and pulled items take the same path, so the
/// two routes can never disagree about what is true.
public struct GatewayDirectory: Sendable {
    public enum Acceptance: Equatable, Sendable {
        case accepted(GatewayKey)
        /// Not newer than what is held: a duplicate push, or a pull that raced a push.
        case stale
    }

    public let topic: Topic
    public let ownKey: GatewayKey
    public private(set) var members: [GatewayKey: MemberRoster] = [:]

    public init(topic: Topic, ownKey: GatewayKey) {
        self.topic = topic
        self.ownKey = ownKey
    }

    public mutating func accept(_ item: MutableItem) throws(GatewayRecordError) -> Acceptance {
        guard let key = GatewayKey(item.publicKey) else { throw .malformed("public key is not 32 bytes") }
        guard key != ownKey else { return .stale }
        guard let page = topic.rosterPage(salt: item.salt) else { throw .wrongTopic }
        if let held = members[key]?.sequenceNumber(ofPage: page), held >= item.sequenceNumber {
            return .stale
        }
        // Decoding is cheaper than verifying, so garbage is refused before the signature check.
        let decoded = try RosterPage.decode(item.value, page: page)
        guard item.hasValidSignature else { throw .badSignature }
        members[key, default: MemberRoster(key: key)].keep(decoded, index: page, item: item)
        return .accepted(key)
    }

    public mutating func forget(_ key: GatewayKey) {
        members[key] = nil
    }

    public func roster(of key: GatewayKey) -> MemberRoster? {
        members[key]
    }
}
