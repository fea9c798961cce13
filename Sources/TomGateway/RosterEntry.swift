import Bencode
import TomSignaling

/// One legacy client hosted by a gateway, as published in its roster.
public struct RosterEntry: Sendable, Equatable {
    public var participant: Participant
    /// The JSON `roles` of the last `role-assign` that named this client, as sent.
    public var roles: String?
    /// Microseconds since the Unix epoch, unique per gateway: orders the participants list
    /// network-wide and decides which gateway owns a nodeId registered at two.
    public var registeredAt: Int64

    public init(participant: Participant, roles: String? = nil, registeredAt: Int64) {
        self.participant = participant
        self.roles = roles
        self.registeredAt = registeredAt
    }

    public var nodeId: String { participant.nodeId }

    var bencoded: BencodeValue {
        var entry: [String: BencodeValue] = [
            "i": .string(participant.nodeId),
            "u": .string(participant.username),
            "t": .integer(registeredAt),
        ]
        if let publicKey = participant.publicKey { entry["k"] = .string(publicKey) }
        if let encryptionKey = participant.encryptionKey { entry["e"] = .string(encryptionKey) }
        if let roles { entry["r"] = .string(roles) }
        return .dictionary(stringKeys: entry)
    }

    init(bencoded value: BencodeValue) throws(GatewayRecordError) {
        guard value.dictionaryValue != nil else { throw .malformed("roster entry is not a dictionary") }
        func text(_ key: String, required: Bool) throws(GatewayRecordError) -> String? {
            guard let field = value[key] else {
                if required { throw .malformed("roster entry lacks \"\(key)\"") }
                return nil
            }
            guard let string = field.stringValue else { throw .malformed("roster entry \"\(key)\" is not UTF-8 text") }
            return string
        }
        guard let nodeId = try text("i", required: true), !nodeId.isEmpty,
              let username = try text("u", required: true), !username.isEmpty
        else { throw .malformed("roster entry has an empty nodeId or username") }
        guard let registeredAt = value["t"]?.integerValue, registeredAt >= 0 else {
            throw .malformed("roster entry lacks a registration time")
        }
        self.participant = Participant(
            nodeId: nodeId, username: username,
            publicKey: try text("k", required: false), encryptionKey: try text("e", required: false))
        self.roles = try text("r", required: false)
        self.registeredAt = registeredAt
    }
}
