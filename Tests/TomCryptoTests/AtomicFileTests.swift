import Glibc
import Testing
import TomStore

@Suite struct AtomicFileTests {
    @Test func replacesWholeFilesAndReadsMissingAsNil() throws {
        var template = Array("/tmp/tom-atomic-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let path = directory + "/state"
        #expect(try AtomicFile.read(path: path) == nil)
        try AtomicFile.write(path: path, bytes: Array("one".utf8))
        try AtomicFile.write(path: path, bytes: Array("two!".utf8))
        #expect(try AtomicFile.read(path: path) == Array("two!".utf8))
        #expect(throws: StoreError.self) { try AtomicFile.read(path: path, limit: 2) }
    }

    @Test func failedWriteLeavesPreviousContents() throws {
        var template = Array("/tmp/tom-atomic-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let path = directory + "/state"
        try AtomicFile.write(path: path, bytes: Array("kept".utf8))
        // A directory squatting on the temporary name makes the write fail before the rename.
        #expect(mkdir("\(path).tmp-\(getpid())", 0o700) == 0)
        #expect(throws: StoreError.self) { try AtomicFile.write(path: path, bytes: Array("lost".utf8)) }
        #expect(try AtomicFile.read(path: path) == Array("kept".utf8))
    }

    @Test func expandsTildeFromHome() {
        let home = String(cString: getenv("HOME"))
        #expect(DataDirectory(path: "~/.tom").path == home + "/.tom")
        #expect(DataDirectory(path: "/var/lib/tom").path == "/var/lib/tom")
    }
}

/// Full disk and failing device, injected: every failing step leaves the previous file whole
/// and no temporary file behind, and the error names the file and the cause.
@Suite struct AtomicFileFaultTests {
    static func directory() -> String {
        var template = Array("/tmp/tom-atomic-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    @Test(arguments: [
        AtomicWriteFault(.open, errno: ENOSPC),
        AtomicWriteFault(.write(afterBytes: 0), errno: ENOSPC),
        AtomicWriteFault(.write(afterBytes: 5000), errno: ENOSPC),
        AtomicWriteFault(.write(afterBytes: 5000), errno: EDQUOT),
        AtomicWriteFault(.fsync, errno: EIO),
        AtomicWriteFault(.rename, errno: EIO),
    ])
    func failedSaveKeepsPreviousState(fault: AtomicWriteFault) throws {
        let directory = Self.directory()
        let path = directory + "/dht-routing-table"
        let previous = [UInt8](repeating: 0x61, count: 3000)
        try AtomicFile.write(path: path, bytes: previous)
        let next = [UInt8](repeating: 0x62, count: 9000)
        do {
            try AtomicFile.write(path: path, bytes: next, fault: fault)
            Issue.record("the injected fault did not fail the write")
        } catch {
            #expect(error == .unwritable(path: path, reason: String(cString: strerror(fault.errno))))
            #expect("\(error)".hasPrefix("cannot write \(path): "))
        }
        #expect(try AtomicFile.read(path: path) == previous)
        // Only the file itself: the partial temporary file was removed.
        #expect(try Self.entries(of: directory) == ["dht-routing-table"])
        // The next save (space freed) goes through.
        try AtomicFile.write(path: path, bytes: next)
        #expect(try AtomicFile.read(path: path) == next)
    }

    @Test func failedFirstSaveLeavesNoFile() throws {
        let directory = Self.directory()
        let path = directory + "/identity"
        #expect(throws: StoreError.self) {
            try AtomicFile.write(path: path, bytes: Array("seed".utf8), fault: AtomicWriteFault(.write(afterBytes: 2), errno: ENOSPC))
        }
        #expect(try AtomicFile.read(path: path) == nil)
        #expect(try Self.entries(of: directory).isEmpty)
    }

    static func entries(of directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw StoreError.unreadable(path: directory, reason: "opendir") }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
