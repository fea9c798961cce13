import Bencode

/// Typed, path-aware access to one dictionary of a KRPC message, so that each decoding
/// step is one line and every failure names the key it concerns.
struct KRPCFieldReader {
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

    func requiredDictionary(_ key: String) throws(Reason) -> KRPCFieldReader {
        guard let value = value(key) else { throw .missingKey(name(key)) }
        guard case .dictionary(let entries) = value else { throw .wrongType(name(key)) }
        return KRPCFieldReader(entries: entries, path: name(key))
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
