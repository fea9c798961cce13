import Bencode
import TomDHT

// The KRPC decoder as it was before BencodeDocument (commit 51d404a), kept in the tests as
// the reference the indexed decoder is compared with (KRPCDecoderEquivalenceTests): it
// builds the whole BencodeValue tree and reads fields from its dictionaries.



/// Typed, path-aware access to one dictionary of a KRPC message, so that each decoding
/// step is one line and every failure names the key it concerns.
struct TreeFieldReader {
    typealias Reason = KRPCDecodingError.Reason

    let entries: [[UInt8]: BencodeValue]
    /// The path of this dictionary, such as "a" or "r"; empty at the top level.
    let path: String

    func name(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    func value(_ key: String) -> BencodeValue? {
        entries[Array(key.utf8)]
    }

    func bytes(_ key: String, maxLength: Int = Int.max) throws(Reason) -> [UInt8]? {
        guard let value = value(key) else { return nil }
        guard case .bytes(let bytes) = value else { throw .wrongType(name(key)) }
        guard bytes.count <= maxLength else { throw .invalidLength(name(key)) }
        return bytes
    }

    func requiredBytes(_ key: String, maxLength: Int = Int.max) throws(Reason) -> [UInt8] {
        guard let bytes = try bytes(key, maxLength: maxLength) else { throw .missingKey(name(key)) }
        return bytes
    }

    func bytes(_ key: String, exactLength: Int) throws(Reason) -> [UInt8]? {
        guard let bytes = try bytes(key) else { return nil }
        guard bytes.count == exactLength else { throw .invalidLength(name(key)) }
        return bytes
    }

    func integer(_ key: String) throws(Reason) -> Int64? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value else { throw .wrongType(name(key)) }
        return number
    }

    func requiredInteger(_ key: String) throws(Reason) -> Int64 {
        guard let number = try integer(key) else { throw .missingKey(name(key)) }
        return number
    }

    func nodeID(_ key: String) throws(Reason) -> NodeID? {
        guard let bytes = try bytes(key) else { return nil }
        guard let id = NodeID(bytes: bytes) else { throw .invalidLength(name(key)) }
        return id
    }

    func requiredNodeID(_ key: String) throws(Reason) -> NodeID {
        guard let id = try nodeID(key) else { throw .missingKey(name(key)) }
        return id
    }

    func list(_ key: String) throws(Reason) -> [BencodeValue]? {
        guard let value = value(key) else { return nil }
        guard case .list(let list) = value else { throw .wrongType(name(key)) }
        return list
    }

    func requiredDictionary(_ key: String) throws(Reason) -> TreeFieldReader {
        guard let value = value(key) else { throw .missingKey(name(key)) }
        guard case .dictionary(let entries) = value else { throw .wrongType(name(key)) }
        return TreeFieldReader(entries: entries, path: name(key))
    }

    /// A flag encoded as an integer, where any non-zero value means true.
    func flag(_ key: String) throws(Reason) -> Bool {
        try integer(key).map { $0 != 0 } ?? false
    }

    func port(_ key: String) throws(Reason) -> UInt16? {
        guard let number = try integer(key) else { return nil }
        guard let port = UInt16(exactly: number) else { throw .invalidValue(name(key)) }
        return port
    }

    func compactAddress(_ key: String) throws(Reason) -> DHTAddress? {
        guard let bytes = try bytes(key) else { return nil }
        do {
            return try DHTAddress(compact: bytes)
        } catch {
            throw .invalidLength(name(key))
        }
    }

    func compactNodes(_ key: String, family: AddressFamily, maxCount: Int) throws(Reason) -> [NodeInfo]? {
        guard let bytes = try bytes(key) else { return nil }
        do throws(CompactDecodingError) {
            return try NodeInfo.decodeCompactList(bytes, family: family, maxCount: maxCount)
        } catch .tooManyEntries {
            throw .tooManyEntries(name(key))
        } catch {
            throw .invalidLength(name(key))
        }
    }

    func compactPeers(_ key: String, maxCount: Int) throws(Reason) -> [DHTAddress]? {
        guard let list = try list(key) else { return nil }
        guard list.count <= maxCount else { throw .tooManyEntries(name(key)) }
        var peers: [DHTAddress] = []
        peers.reserveCapacity(list.count)
        for element in list {
            guard case .bytes(let bytes) = element else { throw .wrongType(name(key)) }
            do {
                peers.append(try DHTAddress(compact: bytes))
            } catch {
                throw .invalidLength(name(key))
            }
        }
        return peers
    }

    /// BEP 32 `want`: a list of "n4" / "n6". Unknown entries are ignored so that future
    /// families do not break old nodes.
    func wantedFamilies(_ key: String) throws(Reason) -> Set<AddressFamily> {
        guard let list = try list(key) else { return [] }
        var families: Set<AddressFamily> = []
        for element in list {
            guard case .bytes(let bytes) = element else { throw .wrongType(name(key)) }
            if bytes == Array("n4".utf8) { families.insert(.v4) }
            if bytes == Array("n6".utf8) { families.insert(.v6) }
        }
        return families
    }
}


enum TreeKRPCDecoder {
    /// Decodes one datagram. Total: any input yields a message or a `KRPCDecodingError`.
    ///
    /// Dictionary keys may arrive unsorted (some clients do this) but BEP 44 values must be
    /// canonical, since they are signed and hashed byte for byte.
    static func decode(_ datagram: [UInt8], limits: KRPCLimits = KRPCLimits()) throws(KRPCDecodingError) -> KRPCMessage {
        let decoder = BencodeDecoder(limits: limits.bencode, keyOrder: .allowUnsorted)
        let root: BencodeValue
        do {
            root = try decoder.decode(datagram)
        } catch {
            throw KRPCDecodingError(reason: .bencode(error))
        }
        guard case .dictionary(let entries) = root else {
            throw KRPCDecodingError(reason: .notADictionary)
        }
        let top = TreeFieldReader(entries: entries, path: "")

        let transactionID: [UInt8]
        let messageType: [UInt8]
        do throws(KRPCDecodingError.Reason) {
            transactionID = try top.requiredBytes("t", maxLength: limits.maxTransactionIDLength)
            messageType = try top.requiredBytes("y")
        } catch {
            throw KRPCDecodingError(reason: error)
        }
        let isQuery = messageType == [UInt8(ascii: "q")]

        do throws(KRPCDecodingError.Reason) {
            let kind: KRPCMessage.Kind
            switch messageType {
            case [UInt8(ascii: "q")]:
                kind = .query(try decodeQuery(top, datagram: datagram, decoder: decoder))
            case [UInt8(ascii: "r")]:
                kind = .response(try decodeResponse(top, datagram: datagram, decoder: decoder, limits: limits))
            case [UInt8(ascii: "e")]:
                kind = .error(try decodeErrorReply(top))
            default:
                throw .unknownMessageType
            }
            return KRPCMessage(
                transactionID: transactionID,
                kind: kind,
                clientVersion: try top.bytes("v", maxLength: limits.maxClientVersionLength),
                requesterAddress: try top.compactAddress("ip"),
                isReadOnly: try top.flag("ro")
            )
        } catch {
            throw KRPCDecodingError(reason: error, transactionID: transactionID, isQuery: isQuery)
        }
    }

    private static func decodeQuery(
        _ top: TreeFieldReader,
        datagram: [UInt8],
        decoder: BencodeDecoder
    ) throws(KRPCDecodingError.Reason) -> KRPCQuery {
        let methodName = try top.requiredBytes("q")
        let arguments = try top.requiredDictionary("a")
        let senderID = try arguments.requiredNodeID("id")

        let method: KRPCQuery.Method
        switch String(decoding: methodName, as: UTF8.self) {
        case "ping":
            method = .ping
        case "find_node":
            method = .findNode(FindNodeArguments(
                target: try arguments.requiredNodeID("target"),
                want: try arguments.wantedFamilies("want")
            ))
        case "get_peers":
            method = .getPeers(GetPeersArguments(
                infoHash: try arguments.requiredNodeID("info_hash"),
                want: try arguments.wantedFamilies("want")
            ))
        case "announce_peer":
            let impliedPort = try arguments.flag("implied_port")
            // With implied_port the source port is used, so a missing `port` is harmless.
            let port = try arguments.port("port")
            guard port != nil || impliedPort else { throw .missingKey(arguments.name("port")) }
            method = .announcePeer(AnnouncePeerArguments(
                infoHash: try arguments.requiredNodeID("info_hash"),
                port: port ?? 0,
                token: try arguments.requiredBytes("token"),
                impliedPort: impliedPort
            ))
        case "get":
            method = .get(GetItemArguments(
                target: try arguments.requiredNodeID("target"),
                sequenceNumber: try arguments.integer("seq"),
                want: try arguments.wantedFamilies("want")
            ))
        case "put":
            let valuePath = arguments.name("v")
            guard let value = try canonicalValue(at: ["a", "v"], path: valuePath, datagram: datagram, decoder: decoder) else {
                throw .missingKey(valuePath)
            }
            method = .put(PutItemArguments(
                token: try arguments.requiredBytes("token"),
                value: value,
                publicKey: try arguments.bytes("k", exactLength: 32),
                signature: try arguments.bytes("sig", exactLength: 64),
                sequenceNumber: try arguments.integer("seq"),
                expectedSequenceNumber: try arguments.integer("cas"),
                salt: try arguments.bytes("salt"),
                target: try arguments.nodeID("target")
            ))
        case "get_signed_peers":
            method = .getSignedPeers(GetPeersArguments(
                infoHash: try arguments.requiredNodeID("info_hash"),
                want: try arguments.wantedFamilies("want")
            ))
        case "announce_signed_peer":
            method = .announceSignedPeer(try TreeKRPCDecoder.announceSignedPeer(arguments))
        default:
            method = .unknown(name: methodName)
        }
        return KRPCQuery(senderID: senderID, method: method)
    }

    private static func decodeResponse(
        _ top: TreeFieldReader,
        datagram: [UInt8],
        decoder: BencodeDecoder,
        limits: KRPCLimits
    ) throws(KRPCDecodingError.Reason) -> KRPCResponse {
        let values = try top.requiredDictionary("r")
        return KRPCResponse(
            senderID: try values.requiredNodeID("id"),
            nodes: try values.compactNodes("nodes", family: .v4, maxCount: limits.maxNodesPerResponse),
            nodes6: try values.compactNodes("nodes6", family: .v6, maxCount: limits.maxNodesPerResponse),
            values: try values.compactPeers("values", maxCount: limits.maxValuesPerResponse),
            token: try values.bytes("token", maxLength: limits.maxTokenLength),
            value: try canonicalValue(at: ["r", "v"], path: values.name("v"), datagram: datagram, decoder: decoder),
            publicKey: try values.bytes("k", exactLength: 32),
            signature: try values.bytes("sig", exactLength: 64),
            sequenceNumber: try values.integer("seq"),
            signedPeers: try values.signedPeers("peers", maxCount: limits.maxSignedPeersPerResponse)
        )
    }

    private static func decodeErrorReply(_ top: TreeFieldReader) throws(KRPCDecodingError.Reason) -> KRPCErrorReply {
        guard let list = try top.list("e") else { throw .missingKey("e") }
        guard let first = list.first else { throw .invalidValue("e") }
        guard case .integer(let code) = first else { throw .wrongType("e") }
        var message = ""
        if list.count > 1 {
            guard case .bytes(let text) = list[1] else { throw .wrongType("e") }
            message = String(decoding: text, as: UTF8.self)
        }
        return KRPCErrorReply(code: KRPCErrorCode(rawValue: code), message: message)
    }

    /// The BEP 44 `v` at `location`, taken from the datagram's own bytes and required to be
    /// canonical. Re-encoding the decoded value instead could silently repair an unsorted
    /// dictionary and make a bad signature look good.
    private static func canonicalValue(
        at location: [BencodePathComponent],
        path: String,
        datagram: [UInt8],
        decoder: BencodeDecoder
    ) throws(KRPCDecodingError.Reason) -> CanonicalBencode? {
        let raw: ArraySlice<UInt8>?
        do {
            raw = try decoder.rawBytes(at: location, in: datagram)
        } catch {
            throw .bencode(error)
        }
        guard let raw else { return nil }
        do {
            return try CanonicalBencode(validating: raw, limits: decoder.limits)
        } catch {
            throw .nonCanonicalValue(path)
        }
    }
}


extension TreeKRPCDecoder {
    static func announceSignedPeer(_ arguments: TreeFieldReader) throws(KRPCDecodingError.Reason) -> AnnounceSignedPeerArguments {
        let timestamp = try arguments.requiredInteger("t")
        guard timestamp >= 0 else { throw .invalidValue(arguments.name("t")) }
        return AnnounceSignedPeerArguments(
            infoHash: try arguments.requiredNodeID("info_hash"),
            token: try arguments.requiredBytes("token"),
            peer: SignedPeer(
                publicKey: try arguments.requiredBytes("k", exactLength: 32),
                timestamp: timestamp,
                signature: try arguments.requiredBytes("sig", exactLength: 64)
            )
        )
    }
}

extension TreeFieldReader {
    func requiredBytes(_ key: String, exactLength: Int) throws(Reason) -> [UInt8] {
        guard let bytes = try bytes(key, exactLength: exactLength) else { throw .missingKey(name(key)) }
        return bytes
    }

    func signedPeers(_ key: String, maxCount: Int) throws(Reason) -> [SignedPeer]? {
        guard let list = try list(key) else { return nil }
        guard list.count <= maxCount else { throw .tooManyEntries(name(key)) }
        var peers: [SignedPeer] = []
        for element in list {
            guard case .bytes(let bytes) = element else { throw .wrongType(name(key)) }
            guard bytes.count == SignedPeer.compactLength else { throw .invalidLength(name(key)) }
            guard let peer = SignedPeer(compact: bytes) else { throw .invalidValue(name(key)) }
            peers.append(peer)
        }
        return peers
    }
}
