import Bencode

extension KRPCMessage {
    /// Decodes one datagram. Total: any input yields a message or a `KRPCDecodingError`.
    ///
    /// Dictionary keys may arrive unsorted (some clients do this) but BEP 44 values must be
    /// canonical, since they are signed and hashed byte for byte.
    public static func decode(_ datagram: [UInt8], limits: KRPCLimits = KRPCLimits()) throws(KRPCDecodingError) -> KRPCMessage {
        // Validated and indexed once; fields are then read from the datagram's own bytes.
        let document: BencodeDocument
        do {
            document = try BencodeDocument(datagram, decoder: BencodeDecoder(limits: limits.bencode, keyOrder: .allowUnsorted))
        } catch {
            throw KRPCDecodingError(reason: .bencode(error))
        }
        guard document.kind(document.root) == .dictionary else {
            throw KRPCDecodingError(reason: .notADictionary)
        }
        let top = KRPCFieldReader(document: document, node: document.root, path: "")

        let transactionID: [UInt8]
        let messageType: ArraySlice<UInt8>
        do throws(KRPCDecodingError.Reason) {
            transactionID = try top.requiredBytes("t", maxLength: limits.maxTransactionIDLength)
            messageType = try top.requiredByteSlice("y")
        } catch {
            throw KRPCDecodingError(reason: error)
        }
        let type = messageType.count == 1 ? messageType.first : nil
        let isQuery = type == UInt8(ascii: "q")

        do throws(KRPCDecodingError.Reason) {
            let kind: Kind
            switch type {
            case UInt8(ascii: "q"):
                kind = .query(try decodeQuery(top))
            case UInt8(ascii: "r"):
                kind = .response(try decodeResponse(top, limits: limits))
            case UInt8(ascii: "e"):
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

    private static func decodeQuery(_ top: KRPCFieldReader) throws(KRPCDecodingError.Reason) -> KRPCQuery {
        let methodName = try top.requiredByteSlice("q")
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
            guard let value = try arguments.canonicalValue("v") else { throw .missingKey(arguments.name("v")) }
            method = .put(PutItemArguments(
                token: try arguments.requiredBytes("token"),
                value: value,
                publicKey: try arguments.bytes("k", exactLength: Ed25519Sizes.publicKey),
                signature: try arguments.bytes("sig", exactLength: Ed25519Sizes.signature),
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
            method = .announceSignedPeer(try AnnounceSignedPeerArguments(decoding: arguments))
        default:
            method = .unknown(name: Array(methodName))
        }
        return KRPCQuery(senderID: senderID, method: method)
    }

    private static func decodeResponse(_ top: KRPCFieldReader, limits: KRPCLimits) throws(KRPCDecodingError.Reason) -> KRPCResponse {
        let values = try top.requiredDictionary("r")
        return KRPCResponse(
            senderID: try values.requiredNodeID("id"),
            nodes: try values.compactNodes("nodes", family: .v4, maxCount: limits.maxNodesPerResponse),
            nodes6: try values.compactNodes("nodes6", family: .v6, maxCount: limits.maxNodesPerResponse),
            values: try values.compactPeers("values", maxCount: limits.maxValuesPerResponse),
            token: try values.bytes("token", maxLength: limits.maxTokenLength),
            value: try values.canonicalValue("v"),
            publicKey: try values.bytes("k", exactLength: Ed25519Sizes.publicKey),
            signature: try values.bytes("sig", exactLength: Ed25519Sizes.signature),
            sequenceNumber: try values.integer("seq"),
            signedPeers: try values.signedPeers("peers", maxCount: limits.maxSignedPeersPerResponse)
        )
    }

    private static func decodeErrorReply(_ top: KRPCFieldReader) throws(KRPCDecodingError.Reason) -> KRPCErrorReply {
        guard var list = try top.list("e") else { throw .missingKey("e") }
        let document = top.document
        let count = list.underestimatedCount
        guard let first = list.next() else { throw .invalidValue("e") }
        guard let code = document.integer(first) else { throw .wrongType("e") }
        var message = ""
        if count > 1, let second = list.next() {
            guard let text = document.bytes(second) else { throw .wrongType("e") }
            message = String(decoding: text, as: UTF8.self)
        }
        return KRPCErrorReply(code: KRPCErrorCode(rawValue: code), message: message)
    }
}

/// Sizes fixed by ed25519, which BEP 44 uses for mutable items.
enum Ed25519Sizes {
    static let publicKey = 32
    static let signature = 64
}
