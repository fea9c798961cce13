import Bencode

extension KRPCMessage {
    /// The canonical bencoding of this message, ready to send. Written directly
    /// (KRPCWriting.swift); the same bytes as `bencodeValue.encoded()`.
    public func encoded() -> [UInt8] {
        var writer = BencodeWriter(reservingCapacity: estimatedEncodedSize)
        write(to: &writer)
        return writer.bytes
    }

    /// The message as a bencode dictionary: the reference form `encoded()` must match.
    public var bencodeValue: BencodeValue {
        var entries: [[UInt8]: BencodeValue] = [:]
        entries.set("t", .bytes(transactionID))
        entries.set("v", clientVersion.map(BencodeValue.bytes))
        entries.set("ip", requesterAddress.map { .bytes($0.compactBytes) })
        if isReadOnly { entries.set("ro", .integer(1)) }
        switch kind {
        case .query(let query):
            entries.set("y", "q")
            entries.set("q", .bytes(query.method.name))
            entries.set("a", .dictionary(query.argumentEntries))
        case .response(let response):
            entries.set("y", "r")
            entries.set("r", .dictionary(response.entries))
        case .error(let reply):
            entries.set("y", "e")
            entries.set("e", [.integer(reply.code.rawValue), .string(reply.message)])
        }
        return .dictionary(entries)
    }
}

extension KRPCQuery {
    var argumentEntries: [[UInt8]: BencodeValue] {
        var entries: [[UInt8]: BencodeValue] = [:]
        entries.set("id", .bytes(senderID.bytes))
        switch method {
        case .ping, .unknown:
            break
        case .findNode(let arguments):
            entries.set("target", .bytes(arguments.target.bytes))
            entries.set("want", Self.wantValue(arguments.want))
        case .getPeers(let arguments):
            entries.set("info_hash", .bytes(arguments.infoHash.bytes))
            entries.set("want", Self.wantValue(arguments.want))
        case .announcePeer(let arguments):
            entries.set("info_hash", .bytes(arguments.infoHash.bytes))
            entries.set("port", .integer(Int64(arguments.port)))
            entries.set("token", .bytes(arguments.token))
            if arguments.impliedPort { entries.set("implied_port", .integer(1)) }
        case .get(let arguments):
            entries.set("target", .bytes(arguments.target.bytes))
            entries.set("seq", arguments.sequenceNumber.map(BencodeValue.integer))
            entries.set("want", Self.wantValue(arguments.want))
        case .put(let arguments):
            entries.set("token", .bytes(arguments.token))
            entries.set("v", arguments.value.value)
            entries.set("k", arguments.publicKey.map(BencodeValue.bytes))
            entries.set("sig", arguments.signature.map(BencodeValue.bytes))
            entries.set("seq", arguments.sequenceNumber.map(BencodeValue.integer))
            entries.set("cas", arguments.expectedSequenceNumber.map(BencodeValue.integer))
            entries.set("salt", arguments.salt.map(BencodeValue.bytes))
            entries.set("target", arguments.target.map { .bytes($0.bytes) })
        case .getSignedPeers(let arguments):
            entries.set("info_hash", .bytes(arguments.infoHash.bytes))
            entries.set("want", Self.wantValue(arguments.want))
        case .announceSignedPeer(let arguments):
            for (key, value) in arguments.argumentEntries { entries.set(key, value) }
        }
        return entries
    }

    static func wantValue(_ families: Set<AddressFamily>) -> BencodeValue? {
        guard !families.isEmpty else { return nil }
        var list: [BencodeValue] = []
        if families.contains(.v4) { list.append("n4") }
        if families.contains(.v6) { list.append("n6") }
        return .list(list)
    }
}

extension KRPCResponse {
    var entries: [[UInt8]: BencodeValue] {
        var entries: [[UInt8]: BencodeValue] = [:]
        entries.set("id", .bytes(senderID.bytes))
        entries.set("nodes", nodes.map { .bytes(NodeInfo.compactList($0.filter { $0.address.family == .v4 })) })
        entries.set("nodes6", nodes6.map { .bytes(NodeInfo.compactList($0.filter { $0.address.family == .v6 })) })
        entries.set("values", values.map { .list($0.map { .bytes($0.compactBytes) }) })
        entries.set("token", token.map(BencodeValue.bytes))
        // Canonical bytes re-encode to themselves, so the value goes out exactly as received.
        entries.set("v", value?.value)
        entries.set("k", publicKey.map(BencodeValue.bytes))
        entries.set("sig", signature.map(BencodeValue.bytes))
        entries.set("seq", sequenceNumber.map(BencodeValue.integer))
        entries.set("peers", signedPeers.map { .list($0.map { .bytes($0.compactBytes) }) })
        return entries
    }
}

extension Dictionary where Key == [UInt8], Value == BencodeValue {
    /// Stores `value` under a text key, or nothing when it is nil (optional fields are omitted).
    fileprivate mutating func set(_ key: String, _ value: BencodeValue?) {
        guard let value else { return }
        self[Array(key.utf8)] = value
    }
}
