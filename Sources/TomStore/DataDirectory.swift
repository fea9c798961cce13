import Glibc

/// The node's private directory (identity, routing table, ...), created 0700 on first use.
public struct DataDirectory: Sendable, Equatable {
    public let path: String

    /// Uses `path`, expanding a leading `~` from `$HOME`.
    public init(path: String) {
        self.path = DataDirectory.expandingTilde(path)
    }

    /// Creates the directory and its parents if missing, and checks it is writable.
    public func prepare() throws(StoreError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST {
                throw .cannotCreateDirectory(path: partial, reason: errnoDescription(errno))
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .cannotCreateDirectory(path: path, reason: errnoDescription(errno))
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .cannotCreateDirectory(path: path, reason: "exists and is not a directory")
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw .unwritable(path: path, reason: errnoDescription(errno))
        }
    }

    public func file(_ name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }

    static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/root"
        return home + path.dropFirst()
    }
}
