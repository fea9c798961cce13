import NIOCore

/// A client message of the legacy protocol, decoded as the original server interpreted it.
public enum LegacyRequest: Sendable, Equatable {
    case register(Participant)
    /// `message` is the client's JSON text, forwarded to `to` unchanged.
    case signal(to: String, message: ByteBuffer)
    case heartbeat
    /// `nodeId` and `roles` are the client's JSON values, echoed exactly.
    case roleAssign(nodeIdJSON: ByteBuffer, rolesJSON: ByteBuffer)
    /// Unknown types, non-object JSON and incomplete role-assigns: silently ignored.
    case ignored
    /// Answered with an `error` message; the connection stays open.
    case rejected(LegacyError)
}

/// The four error texts old clients know.
public enum LegacyError: String, Sendable, Equatable, CaseIterable {
    case invalidJSON = "invalid JSON"
    case missingNodeIdOrUsername = "missing nodeId or username"
    case missingToOrFrom = "missing to or from"
    case peerNotFound = "peer not found"
}

/// What a registered client told the server about itself.
public struct Participant: Sendable, Equatable {
    public var nodeId: String
    public var username: String
    public var publicKey: String?
    public var encryptionKey: String?

    public init(nodeId: String, username: String, publicKey: String? = nil, encryptionKey: String? = nil) {
        self.nodeId = nodeId
        self.username = username
        self.publicKey = publicKey
        self.encryptionKey = encryptionKey
    }
}

extension LegacyRequest {
    /// The members whose string values are read; others (a signal's payload) are only validated.
    static let decodedKeys = ["type", "nodeId", "username", "publicKey", "encryptionKey", "to"]

    /// Decodes one WebSocket message. Never throws: every input maps to a request, as in the
    /// original server, where a bad message is answered or ignored and the socket stays open.
    ///
    /// Deliberate narrowing: `nodeId` and `username` must be JSON strings (the original accepted
    /// any truthy value); `publicKey` and `encryptionKey` are used only when they are strings.
    public static func decode(_ buffer: ByteBuffer, maxDepth: Int = JSONScanner.defaultMaxDepth) -> LegacyRequest {
        buffer.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let document: JSONDocument
            do {
                document = try JSONScanner.scan(bytes, maxDepth: maxDepth, decodedKeys: decodedKeys)
            } catch {
                return .rejected(.invalidJSON)
            }
            guard let members = document.members else { return .ignored }
            func slice(_ field: JSONField) -> ByteBuffer {
                buffer.getSlice(at: buffer.readerIndex + field.raw.lowerBound, length: field.raw.count)!
            }
            switch members["type"]?.stringValue {
            case "register":
                guard let nodeId = members["nodeId"], nodeId.isTruthy, let nodeIdText = nodeId.stringValue,
                      let username = members["username"], username.isTruthy, let usernameText = username.stringValue
                else { return .rejected(.missingNodeIdOrUsername) }
                return .register(Participant(
                    nodeId: nodeIdText,
                    username: usernameText,
                    publicKey: members["publicKey"]?.stringValue,
                    encryptionKey: members["encryptionKey"]?.stringValue
                ))
            case "signal":
                guard let to = members["to"], to.isTruthy, let from = members["from"], from.isTruthy else {
                    return .rejected(.missingToOrFrom)
                }
                // A truthy non-string `to` can name no registered client.
                guard let target = to.stringValue else { return .rejected(.peerNotFound) }
                // The original re-serialised with JSON.stringify, which writes no whitespace.
                let message = document.hasWhitespace ? JSONCompaction.compact(buffer) : buffer
                return .signal(to: target, message: message)
            case "heartbeat":
                return .heartbeat
            case "role-assign":
                guard let nodeId = members["nodeId"], nodeId.isTruthy,
                      let roles = members["roles"], roles.isTruthy
                else { return .ignored }
                return .roleAssign(nodeIdJSON: slice(nodeId), rolesJSON: slice(roles))
            default:
                return .ignored
            }
        }
    }
}
