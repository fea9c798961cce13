import Bencode
import TomDHT

/// One frame of a gateway link: a bencoded dictionary in a binary WebSocket message.
///
/// The handshake (`hello`, `welcome`, `proof`) proves both keys on fresh nonces; after it,
/// `items` carries the same signed BEP 44 roster items the DHT stores, `signal` forwards a
/// legacy signal to the gateway hosting its target, `notFound` answers one that found nobody,
/// `signalsHandled` confirms signals by count (so one lost with its link is answered),
/// `broadcast` carries a heartbeat or role-assign to every client of the receiving gateway,
/// and `keepalive` proves the link is alive when nothing else flows.
public enum LinkMessage: Sendable, Equatable {
    case hello(key: [UInt8], nonce: [UInt8], topic: NodeID)
    case welcome(key: [UInt8], nonce: [UInt8], signature: [UInt8])
    case proof(signature: [UInt8])
    case items([MutableItem])
    /// `replyTo` names the sending client at the origin gateway, for a `notFound` answer.
    case signal(to: String, message: [UInt8], replyTo: UInt64)
    case notFound(replyTo: UInt64)
    /// The sender has handled the first `n` signals this link carried to it.
    case signalsHandled(UInt64)
    case broadcast(message: [UInt8])
    case keepalive
    /// The sender is shutting down cleanly.
    case bye

    /// Room for a legacy message of the server's 1 MiB default plus framing.
    public static let defaultMaxFrameBytes = (1 << 20) + 64 * 1024
    static let maxItemsPerFrame = 4096
    static let version: Int64 = 1

    public var encoded: [UInt8] {
        var fields: [String: BencodeValue]
        switch self {
        case .hello(let key, let nonce, let topic):
            fields = ["y": "hello", "v": .integer(Self.version), "k": .bytes(key), "n": .bytes(nonce), "h": .bytes(topic.bytes)]
        case .welcome(let key, let nonce, let signature):
            fields = ["y": "welcome", "v": .integer(Self.version), "k": .bytes(key), "n": .bytes(nonce), "s": .bytes(signature)]
        case .proof(let signature):
            fields = ["y": "proof", "s": .bytes(signature)]
        case .items(let items):
            fields = ["y": "items", "i": .list(items.map { item in
                .dictionary(stringKeys: [
                    "k": .bytes(item.publicKey), "salt": .bytes(item.salt), "seq": .integer(item.sequenceNumber),
                    "v": item.value.value, "sig": .bytes(item.signature),
                ])
            })]
        case .signal(let to, let message, let replyTo):
            fields = ["y": "signal", "to": .string(to), "m": .bytes(message), "r": .integer(Int64(bitPattern: replyTo))]
        case .notFound(let replyTo):
            fields = ["y": "nf", "r": .integer(Int64(bitPattern: replyTo))]
        case .signalsHandled(let count):
            fields = ["y": "ack", "n": .integer(Int64(bitPattern: count))]
        case .broadcast(let message):
            fields = ["y": "bc", "m": .bytes(message)]
        case .keepalive:
            fields = ["y": "ka"]
        case .bye:
            fields = ["y": "bye"]
        }
        return BencodeValue.dictionary(stringKeys: fields).encoded()
    }

    /// Total: every input gives a message or a `GatewayRecordError`. Unknown frame types are
    /// errors too, so a future version is told apart from garbage only by `hello`'s `v`.
    public static func decode(_ bytes: [UInt8], maxFrameBytes: Int = defaultMaxFrameBytes) throws(GatewayRecordError) -> LinkMessage {
        guard bytes.count <= maxFrameBytes else { throw .tooLarge(bytes.count) }
        let root: BencodeValue
        do {
            root = try BencodeDecoder(
                limits: .init(maxInputSize: maxFrameBytes, maxDepth: 32, maxElementCount: 200_000),
                keyOrder: .requireSorted
            ).decode(bytes)
        } catch {
            throw .malformed("not canonical bencode: \(error)")
        }
        guard root.dictionaryValue != nil, let type = root["y"]?.stringValue else { throw .malformed("no frame type") }
        func bytesField(_ key: String, count: Int? = nil) throws(GatewayRecordError) -> [UInt8] {
            guard let value = root[key]?.bytesValue, count.map({ value.count == $0 }) ?? true else {
                throw .malformed("\(type) lacks a valid \"\(key)\"")
            }
            return value
        }
        func replyTo() throws(GatewayRecordError) -> UInt64 {
            guard let value = root["r"]?.integerValue else { throw .malformed("\(type) lacks \"r\"") }
            return UInt64(bitPattern: value)
        }
        switch type {
        case "hello":
            guard root["v"]?.integerValue == version else { throw .malformed("unsupported link version") }
            return .hello(key: try bytesField("k", count: 32), nonce: try bytesField("n", count: 32),
                          topic: NodeID(bytes: try bytesField("h", count: 20))!)
        case "welcome":
            guard root["v"]?.integerValue == version else { throw .malformed("unsupported link version") }
            return .welcome(key: try bytesField("k", count: 32), nonce: try bytesField("n", count: 32),
                            signature: try bytesField("s", count: 64))
        case "proof":
            return .proof(signature: try bytesField("s", count: 64))
        case "items":
            guard let list = root["i"]?.listValue, list.count <= maxItemsPerFrame else { throw .malformed("items lacks its list") }
            var items: [MutableItem] = []
            items.reserveCapacity(list.count)
            for entry in list {
                guard entry.dictionaryValue != nil,
                      let key = entry["k"]?.bytesValue, key.count == 32,
                      let salt = entry["salt"]?.bytesValue, salt.count <= 64,
                      let seq = entry["seq"]?.integerValue,
                      let value = entry["v"],
                      let signature = entry["sig"]?.bytesValue, signature.count == 64
                else { throw .malformed("item lacks k, salt, seq, v or sig") }
                items.append(MutableItem(publicKey: key, salt: salt, sequenceNumber: seq, value: CanonicalBencode(value), signature: signature))
            }
            return .items(items)
        case "signal":
            guard let to = root["to"]?.stringValue else { throw .malformed("signal lacks \"to\"") }
            return .signal(to: to, message: try bytesField("m"), replyTo: try replyTo())
        case "nf":
            return .notFound(replyTo: try replyTo())
        case "ack":
            guard let count = root["n"]?.integerValue else { throw .malformed("ack lacks \"n\"") }
            return .signalsHandled(UInt64(bitPattern: count))
        case "bc":
            return .broadcast(message: try bytesField("m"))
        case "ka":
            return .keepalive
        case "bye":
            return .bye
        default:
            throw .malformed("unknown frame type \"\(type)\"")
        }
    }
}
