import TomStore

/// The node's long-lived Ed25519 identity, kept in `<data-dir>/identity`.
///
/// File format (text, mode 0600):
/// ```
/// # tom-node identity: keep this file secret
/// ed25519-seed: <64 hex digits>
/// public-key: <64 hex digits>
/// ```
/// `public-key` is informational and must match the seed when present.
public struct NodeIdentity: Sendable {
    public static let fileName = "identity"

    public let keyPair: Ed25519KeyPair
    /// True when this start created the identity (first start).
    public let isNew: Bool

    public var publicKeyHex: String { keyPair.publicKeyHex }

    /// Loads the identity from `directory`, creating and saving one on first start.
    /// A file that exists but cannot be read or parsed is an error, never a silent new identity.
    public static func loadOrCreate(in directory: DataDirectory) throws(IdentityError) -> NodeIdentity {
        let path = directory.file(fileName)
        do {
            try directory.prepare()
            if let bytes = try AtomicFile.read(path: path, limit: 64 * 1024) {
                return NodeIdentity(keyPair: try parse(bytes, path: path), isNew: false)
            }
            let keyPair = Ed25519KeyPair.generate()
            try AtomicFile.write(path: path, bytes: Array(render(keyPair).utf8), mode: 0o600)
            return NodeIdentity(keyPair: keyPair, isNew: true)
        } catch let error as StoreError {
            throw .storage(error)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw .storage(.unreadable(path: path, reason: "\(error)"))
        }
    }

    static func render(_ keyPair: Ed25519KeyPair) -> String {
        """
        # tom-node identity: keep this file secret
        ed25519-seed: \(Hex.encode(keyPair.seed))
        public-key: \(keyPair.publicKeyHex)

        """
    }

    static func parse(_ bytes: [UInt8], path: String) throws(IdentityError) -> Ed25519KeyPair {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .corrupt(path: path, reason: "not UTF-8 text")
        }
        var fields: [String: String] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .corrupt(path: path, reason: "line without 'key: value'")
            }
            let key = String(line[..<colon]).trimmingSpaces()
            guard fields[key] == nil else { throw .corrupt(path: path, reason: "duplicate \(key)") }
            fields[key] = String(line[line.index(after: colon)...]).trimmingSpaces()
        }
        guard let seedHex = fields["ed25519-seed"] else {
            throw .corrupt(path: path, reason: "no ed25519-seed")
        }
        guard let seed = Hex.decode(seedHex), let keyPair = Ed25519KeyPair(seed: seed) else {
            throw .corrupt(path: path, reason: "ed25519-seed is not 64 hex digits")
        }
        if let stated = fields["public-key"], stated.lowercased() != keyPair.publicKeyHex {
            throw .corrupt(path: path, reason: "public-key does not match ed25519-seed")
        }
        return keyPair
    }
}

public enum IdentityError: Error, Equatable, CustomStringConvertible {
    case storage(StoreError)
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case .storage(let error): "identity: \(error)"
        case .corrupt(let path, let reason): "identity file \(path) is corrupt (\(reason)); move it away to create a new identity, or restore it from a backup"
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
