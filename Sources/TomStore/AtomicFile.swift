import Glibc

/// Whole-file reads and crash-safe replacements.
///
/// A write goes to a temporary file in the same directory, is fsynced, then renamed over the
/// target and the directory fsynced: a crash or a full disk leaves either the old file or the
/// new one, never a torn mix.
public enum AtomicFile {
    /// Reads at most `limit` bytes; nil when the file does not exist.
    public static func read(path: String, limit: Int = 16 << 20) throws(StoreError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw .unreadable(path: path, reason: errnoDescription(code))
        }
        defer { close(fd) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: errnoDescription(errno))
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            if result.count > limit {
                throw .unreadable(path: path, reason: "larger than \(limit) bytes")
            }
        }
        return result
    }

    /// Replaces `path` with `bytes`, created with permission bits `mode`. `fault` makes one
    /// step fail as a full disk or a failing device would (tests only; nil in production).
    public static func write(path: String, bytes: [UInt8], mode: mode_t = 0o600, fault: AtomicWriteFault? = nil) throws(StoreError) {
        let temporary = "\(path).tmp-\(getpid())"
        if let fault, fault.step == .open { throw .unwritable(path: path, reason: errnoDescription(fault.errno)) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .unwritable(path: path, reason: errnoDescription(errno)) }
        var failure: StoreError?
        // open() applies the umask; fchmod makes the mode exact (0600 must not become 0644).
        if fchmod(fd, mode) != 0 {
            failure = .unwritable(path: path, reason: errnoDescription(errno))
        }
        var offset = 0
        // An injected short write: this many bytes reach the temporary file, then the error.
        var end = bytes.count
        if let fault, case .write(let afterBytes) = fault.step { end = min(max(afterBytes, 0), bytes.count) }
        while failure == nil && offset < end {
            let written = bytes[offset..<end].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = .unwritable(path: path, reason: errnoDescription(errno))
            } else {
                offset += written
            }
        }
        if failure == nil, let fault, case .write = fault.step {
            failure = .unwritable(path: path, reason: errnoDescription(fault.errno))
        }
        if failure == nil, let fault, fault.step == .fsync {
            failure = .unwritable(path: path, reason: errnoDescription(fault.errno))
        }
        if failure == nil && fsync(fd) != 0 {
            failure = .unwritable(path: path, reason: errnoDescription(errno))
        }
        close(fd)
        if failure == nil, let fault, fault.step == .rename {
            failure = .unwritable(path: path, reason: errnoDescription(fault.errno))
        }
        if failure == nil && rename(temporary, path) != 0 {
            failure = .unwritable(path: path, reason: errnoDescription(errno))
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        syncDirectory(containing: path)
    }

    private static func syncDirectory(containing path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// A failure injected into `AtomicFile.write`, standing for what a full disk (ENOSPC), a quota
/// (EDQUOT) or a failing device (EIO) does to each step, so tests can prove a failed save
/// leaves the previous file whole without filling a real disk.
public struct AtomicWriteFault: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// The temporary file cannot be created.
        case open
        /// Only this many bytes are written, then the write fails.
        case write(afterBytes: Int)
        case fsync
        case rename
    }

    public var step: Step
    public var errno: Int32

    public init(_ step: Step, errno: Int32) {
        self.step = step
        self.errno = errno
    }
}
