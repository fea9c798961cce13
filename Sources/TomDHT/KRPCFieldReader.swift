import Bencode

/// Typed, path-aware access to one dictionary of a KRPC message, so that each decoding
/// step is one line and every failure names the key it concerns.
///
/// It reads from a `BencodeDocument` (the datagram validated and indexed once), so only the
/// values a message needs are ever copied out; no tree of the whole datagram is built.
struct KRPCFieldReader {
    typealias Reason = KRPCDecodingError.Reason

    let document: BencodeDocument
    /// The dictionary's node in `document`.
    let node: BencodeDocument.Node
    /// The path of this dictionary, such as "a" or "r"; empty at the top level.
    let path: String

    func name(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The node of the value under `key`, if present.
    func value(_ key: String) -> BencodeDocument.Node? {
        document.value(forKey: key, in: node)
    }

    /// A byte string, without copying it out of the datagram.
    func byteSlice(_ key: String, maxLength: Int = Int.max) throws(Reason) -> ArraySlice<UInt8>? {
        guard let value = value(key) else { return nil }
        guard let bytes = document.bytes(value) else { throw .wrongType(name(key)) }
        guard bytes.count <= maxLength else { throw .invalidLength(name(key)) }
        return bytes
    }

    func bytes(_ key: String, maxLength: Int = Int.max) throws(Reason) -> [UInt8]? {
        try byteSlice(key, maxLength: maxLength).map { Array($0) }
    }

    func requiredBytes(_ key: String, maxLength: Int = Int.max) throws(Reason) -> [UInt8] {
        guard let bytes = try bytes(key, maxLength: maxLength) else { throw .missingKey(name(key)) }
        return bytes
    }

    func requiredByteSlice(_ key: String, maxLength: Int = Int.max) throws(Reason) -> ArraySlice<UInt8> {
        guard let bytes = try byteSlice(key, maxLength: maxLength) else { throw .missingKey(name(key)) }
        return bytes
    }

    func bytes(_ key: String, exactLength: Int) throws(Reason) -> [UInt8]? {
        guard let bytes = try byteSlice(key) else { return nil }
        guard bytes.count == exactLength else { throw .invalidLength(name(key)) }
        return Array(bytes)
    }

    func integer(_ key: String) throws(Reason) -> Int64? {
        guard let value = value(key) else { return nil }
        guard let number = document.integer(value) else { throw .wrongType(name(key)) }
        return number
    }

    func requiredInteger(_ key: String) throws(Reason) -> Int64 {
        guard let number = try integer(key) else { throw .missingKey(name(key)) }
        return number
    }

    func nodeID(_ key: String) throws(Reason) -> NodeID? {
        guard let bytes = try byteSlice(key) else { return nil }
        guard let id = NodeID(bytes: bytes) else { throw .invalidLength(name(key)) }
        return id
    }

    func requiredNodeID(_ key: String) throws(Reason) -> NodeID {
        guard let id = try nodeID(key) else { throw .missingKey(name(key)) }
        return id
    }

    /// The elements of a list.
    func list(_ key: String) throws(Reason) -> BencodeDocument.Children? {
        guard let value = value(key) else { return nil }
        guard let elements = document.elements(value) else { throw .wrongType(name(key)) }
        return elements
    }

    func requiredDictionary(_ key: String) throws(Reason) -> KRPCFieldReader {
        guard let value = value(key) else { throw .missingKey(name(key)) }
        guard document.kind(value) == .dictionary else { throw .wrongType(name(key)) }
        return KRPCFieldReader(document: document, node: value, path: name(key))
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
        guard let bytes = try byteSlice(key) else { return nil }
        do {
            return try DHTAddress(compact: bytes)
        } catch {
            throw .invalidLength(name(key))
        }
    }

    func compactNodes(_ key: String, family: AddressFamily, maxCount: Int) throws(Reason) -> [NodeInfo]? {
        guard let bytes = try byteSlice(key) else { return nil }
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
        guard list.underestimatedCount <= maxCount else { throw .tooManyEntries(name(key)) }
        var peers: [DHTAddress] = []
        peers.reserveCapacity(list.underestimatedCount)
        for element in list {
            guard let bytes = document.bytes(element) else { throw .wrongType(name(key)) }
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
            guard let bytes = document.bytes(element) else { throw .wrongType(name(key)) }
            if bytes.elementsEqual("n4".utf8) { families.insert(.v4) }
            if bytes.elementsEqual("n6".utf8) { families.insert(.v6) }
        }
        return families
    }

    /// The BEP 44 `v` under `key`, exactly as sent, required to be canonical. Re-encoding
    /// a decoded value instead could silently repair an unsorted dictionary and make a bad
    /// signature look good.
    func canonicalValue(_ key: String) throws(Reason) -> CanonicalBencode? {
        guard let value = value(key) else { return nil }
        guard let canonical = document.canonicalValue(value) else { throw .nonCanonicalValue(name(key)) }
        return canonical
    }
}
