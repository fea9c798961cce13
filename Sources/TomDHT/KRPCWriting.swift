import Bencode

/// KRPC messages written straight into bytes, keys in raw-byte order, with no `BencodeValue`
/// tree: the answer path of a busy node encodes one message per query. The output is
/// byte for byte `bencodeValue.encoded()` (KRPCWritingTests checks this for every kind of
/// message and every optional field).
extension KRPCMessage {
    func write(to writer: inout BencodeWriter) {
        // Top-level keys in order: a, e, ip, q, r, ro, t, v, y.
        writer.beginDictionary()
        switch kind {
        case .query(let query):
            writer.key("a")
            query.writeArguments(to: &writer)
        case .error(let reply):
            writer.key("e")
            writer.beginList()
            writer.integer(reply.code.rawValue)
            writer.byteString(Array(reply.message.utf8))
            writer.end()
        case .response:
            break
        }
        if let requesterAddress {
            writer.key("ip")
            requesterAddress.writeCompact(to: &writer)
        }
        switch kind {
        case .query(let query):
            writer.key("q")
            query.method.writeName(to: &writer)
        case .response(let response):
            writer.key("r")
            response.write(to: &writer)
        case .error:
            break
        }
        if isReadOnly {
            writer.key("ro")
            writer.integer(1)
        }
        writer.key("t")
        writer.byteString(transactionID)
        if let clientVersion {
            writer.key("v")
            writer.byteString(clientVersion)
        }
        writer.key("y")
        switch kind {
        case .query: writer.key("q")
        case .response: writer.key("r")
        case .error: writer.key("e")
        }
        writer.end()
    }

    /// Enough for the message without growing the buffer in the common cases.
    var estimatedEncodedSize: Int {
        var size = 96 + transactionID.count + (clientVersion?.count ?? 0)
        switch kind {
        case .query(let query):
            if case .put(let arguments) = query.method { size += arguments.value.bytes.count + arguments.token.count + 160 }
            size += 64
        case .response(let response):
            size += (response.nodes?.count ?? 0) * CompactEncoding.nodeV4Size
            size += (response.nodes6?.count ?? 0) * CompactEncoding.nodeV6Size
            size += (response.values?.count ?? 0) * 21
            size += (response.value?.bytes.count ?? 0) + (response.token?.count ?? 0)
            size += (response.signedPeers?.count ?? 0) * (SignedPeer.compactLength + 4)
            if response.publicKey != nil || response.signature != nil { size += 128 }
        case .error(let reply):
            size += reply.message.utf8.count
        }
        return size
    }
}

extension KRPCQuery {
    func writeArguments(to writer: inout BencodeWriter) {
        writer.beginDictionary()
        switch method {
        case .ping, .unknown:
            writer.key("id")
            senderID.writeByteString(to: &writer)
        case .findNode(let arguments):
            writer.key("id")
            senderID.writeByteString(to: &writer)
            writer.key("target")
            arguments.target.writeByteString(to: &writer)
            Self.writeWant(arguments.want, to: &writer)
        case .getPeers(let arguments), .getSignedPeers(let arguments):
            writer.key("id")
            senderID.writeByteString(to: &writer)
            writer.key("info_hash")
            arguments.infoHash.writeByteString(to: &writer)
            Self.writeWant(arguments.want, to: &writer)
        case .announcePeer(let arguments):
            writer.key("id")
            senderID.writeByteString(to: &writer)
            if arguments.impliedPort {
                writer.key("implied_port")
                writer.integer(1)
            }
            writer.key("info_hash")
            arguments.infoHash.writeByteString(to: &writer)
            writer.key("port")
            writer.integer(Int64(arguments.port))
            writer.key("token")
            writer.byteString(arguments.token)
        case .get(let arguments):
            writer.key("id")
            senderID.writeByteString(to: &writer)
            if let sequenceNumber = arguments.sequenceNumber {
                writer.key("seq")
                writer.integer(sequenceNumber)
            }
            writer.key("target")
            arguments.target.writeByteString(to: &writer)
            Self.writeWant(arguments.want, to: &writer)
        case .put(let arguments):
            // cas, id, k, salt, seq, sig, target, token, v.
            if let expected = arguments.expectedSequenceNumber {
                writer.key("cas")
                writer.integer(expected)
            }
            writer.key("id")
            senderID.writeByteString(to: &writer)
            if let publicKey = arguments.publicKey {
                writer.key("k")
                writer.byteString(publicKey)
            }
            if let salt = arguments.salt {
                writer.key("salt")
                writer.byteString(salt)
            }
            if let sequenceNumber = arguments.sequenceNumber {
                writer.key("seq")
                writer.integer(sequenceNumber)
            }
            if let signature = arguments.signature {
                writer.key("sig")
                writer.byteString(signature)
            }
            if let target = arguments.target {
                writer.key("target")
                target.writeByteString(to: &writer)
            }
            writer.key("token")
            writer.byteString(arguments.token)
            writer.key("v")
            writer.encoded(arguments.value)
        case .announceSignedPeer(let arguments):
            // id, info_hash, k, sig, t, token.
            writer.key("id")
            senderID.writeByteString(to: &writer)
            writer.key("info_hash")
            arguments.infoHash.writeByteString(to: &writer)
            writer.key("k")
            writer.byteString(arguments.peer.publicKey)
            writer.key("sig")
            writer.byteString(arguments.peer.signature)
            writer.key("t")
            writer.integer(arguments.peer.timestamp)
            writer.key("token")
            writer.byteString(arguments.token)
        }
        writer.end()
    }

    static func writeWant(_ families: Set<AddressFamily>, to writer: inout BencodeWriter) {
        guard !families.isEmpty else { return }
        writer.key("want")
        writer.beginList()
        if families.contains(.v4) { writer.key("n4") }
        if families.contains(.v6) { writer.key("n6") }
        writer.end()
    }
}

extension KRPCQuery.Method {
    func writeName(to writer: inout BencodeWriter) {
        switch self {
        case .ping: writer.key("ping")
        case .findNode: writer.key("find_node")
        case .getPeers: writer.key("get_peers")
        case .announcePeer: writer.key("announce_peer")
        case .get: writer.key("get")
        case .put: writer.key("put")
        case .getSignedPeers: writer.key("get_signed_peers")
        case .announceSignedPeer: writer.key("announce_signed_peer")
        case .unknown(let name): writer.byteString(name)
        }
    }
}

extension KRPCResponse {
    func write(to writer: inout BencodeWriter) {
        // id, k, nodes, nodes6, peers, seq, sig, token, v, values.
        writer.beginDictionary()
        writer.key("id")
        senderID.writeByteString(to: &writer)
        if let publicKey {
            writer.key("k")
            writer.byteString(publicKey)
        }
        if let nodes {
            writer.key("nodes")
            Self.writeCompactNodes(nodes, family: .v4, to: &writer)
        }
        if let nodes6 {
            writer.key("nodes6")
            Self.writeCompactNodes(nodes6, family: .v6, to: &writer)
        }
        if let signedPeers {
            writer.key("peers")
            writer.beginList()
            for peer in signedPeers { writer.byteString(peer.compactBytes) }
            writer.end()
        }
        if let sequenceNumber {
            writer.key("seq")
            writer.integer(sequenceNumber)
        }
        if let signature {
            writer.key("sig")
            writer.byteString(signature)
        }
        if let token {
            writer.key("token")
            writer.byteString(token)
        }
        if let value {
            // Canonical bytes are what encoding the value gives, so they go out as received.
            writer.key("v")
            writer.encoded(value)
        }
        if let values {
            writer.key("values")
            writer.beginList()
            for peer in values {
                writer.byteStringPrefix(length: CompactEncoding.peerSize(for: peer.family))
                peer.appendCompactBytes(to: &writer.bytes)
            }
            writer.end()
        }
        writer.end()
    }

    /// One byte string of the nodes of `family` (others are left out, as in `nodes`).
    static func writeCompactNodes(_ nodes: [NodeInfo], family: AddressFamily, to writer: inout BencodeWriter) {
        var count = 0
        for node in nodes where node.address.family == family { count += 1 }
        writer.byteStringPrefix(length: count * CompactEncoding.nodeSize(for: family))
        for node in nodes where node.address.family == family {
            node.id.appendBytes(to: &writer.bytes)
            node.address.appendCompactBytes(to: &writer.bytes)
        }
    }
}

extension NodeID {
    /// The 20 big-endian bytes, appended without an intermediate array.
    func appendBytes(to output: inout [UInt8]) {
        withUnsafeBytes(of: high.bigEndian) { output.append(contentsOf: $0) }
        withUnsafeBytes(of: middle.bigEndian) { output.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { output.append(contentsOf: $0) }
    }

    /// `20:` and the bytes.
    func writeByteString(to writer: inout BencodeWriter) {
        writer.byteStringPrefix(length: NodeID.byteCount)
        appendBytes(to: &writer.bytes)
    }
}

extension DHTAddress {
    /// The compact form (`compactBytes`), appended without an intermediate array.
    func appendCompactBytes(to output: inout [UInt8]) {
        switch ip {
        case .v4(let address):
            withUnsafeBytes(of: address.value.bigEndian) { output.append(contentsOf: $0) }
        case .v6:
            output.append(contentsOf: ip.bytes)
        }
        withUnsafeBytes(of: port.bigEndian) { output.append(contentsOf: $0) }
    }

    func writeCompact(to writer: inout BencodeWriter) {
        writer.byteStringPrefix(length: CompactEncoding.peerSize(for: family))
        appendCompactBytes(to: &writer.bytes)
    }
}
