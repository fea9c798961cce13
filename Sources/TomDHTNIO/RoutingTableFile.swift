import TomDHT
import TomStore

/// `<data-dir>/dht-routing-table`: the bencoded `RoutingTableSnapshot` (our id and the
/// nodes worth contacting again), replaced atomically.
public enum RoutingTableFile {
    public enum LoadError: Error, CustomStringConvertible {
        case storage(StoreError)
        case corrupt(path: String, reason: String)

        public var description: String {
            switch self {
            case .storage(let error): "\(error)"
            case .corrupt(let path, let reason): "routing table file \(path) is unreadable (\(reason))"
            }
        }
    }

    public static func path(in directory: DataDirectory) -> String {
        directory.file(DHTDriverConfiguration.routingTableFileName)
    }

    /// The saved snapshot; nil when there is none yet.
    public static func load(from directory: DataDirectory) throws(LoadError) -> RoutingTableSnapshot? {
        let path = path(in: directory)
        let bytes: [UInt8]?
        do {
            bytes = try AtomicFile.read(path: path, limit: 1 << 20)
        } catch {
            throw .storage(error)
        }
        guard let bytes else { return nil }
        do {
            return try RoutingTableSnapshot(decoding: bytes)
        } catch {
            throw .corrupt(path: path, reason: "\(error)")
        }
    }

    public static func save(_ bytes: [UInt8], to directory: DataDirectory) throws(StoreError) {
        try directory.prepare()
        try AtomicFile.write(path: path(in: directory), bytes: bytes, mode: 0o600)
    }
}
