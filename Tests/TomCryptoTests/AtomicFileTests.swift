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
