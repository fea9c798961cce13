import Glibc
import Testing
@testable import TomCrypto
import TomStore

@Suite struct NodeIdentityTests {
    func freshDirectory() -> String {
        var template = Array("/tmp/tom-identity-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return path + "/data"
    }

    @Test func createsIdentityOnFirstStartWithMode0600AndReusesIt() throws {
        let directory = DataDirectory(path: freshDirectory())
        let first = try NodeIdentity.loadOrCreate(in: directory)
        #expect(first.isNew)
        var info = stat()
        #expect(stat(directory.file(NodeIdentity.fileName), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(directory.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)

        let second = try NodeIdentity.loadOrCreate(in: directory)
        #expect(!second.isNew)
        #expect(second.publicKeyHex == first.publicKeyHex)
    }

    @Test(arguments: [
        "garbage",
        "ed25519-seed: 1234\n",
        "ed25519-seed: zz5a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n",
        "public-key: d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n",
        "ed25519-seed: 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\npublic-key: 0000000000000000000000000000000000000000000000000000000000000000\n",
        "ed25519-seed: 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\ned25519-seed: 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
    ])
    func corruptFileIsAnErrorNamingTheFile(contents: String) throws {
        let directory = DataDirectory(path: freshDirectory())
        try directory.prepare()
        let path = directory.file(NodeIdentity.fileName)
        try AtomicFile.write(path: path, bytes: Array(contents.utf8))
        do {
            _ = try NodeIdentity.loadOrCreate(in: directory)
            Issue.record("a corrupt identity must not load")
        } catch {
            guard case .corrupt(let named, _) = error else {
                Issue.record("expected .corrupt, got \(error)")
                return
            }
            #expect(named == path)
            #expect(error.description.contains(path))
        }
        // The corrupt file is left alone for the operator.
        #expect(try AtomicFile.read(path: path) == Array(contents.utf8))
    }

    @Test func loadsTheDocumentedFileFormat() throws {
        let directory = DataDirectory(path: freshDirectory())
        try directory.prepare()
        let text = """
        # a comment
        ed25519-seed: 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60

        """
        try AtomicFile.write(path: directory.file(NodeIdentity.fileName), bytes: Array(text.utf8))
        let identity = try NodeIdentity.loadOrCreate(in: directory)
        #expect(identity.publicKeyHex == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    }

    @Test func unreadableFileIsAnErrorNotANewIdentity() throws {
        let directory = DataDirectory(path: freshDirectory())
        try directory.prepare()
        // A directory where the file should be cannot be read as a file.
        #expect(mkdir(directory.file(NodeIdentity.fileName), 0o700) == 0)
        #expect(throws: IdentityError.self) { try NodeIdentity.loadOrCreate(in: directory) }
    }

    @Test func dataDirectoryThatIsAFileIsAClearError() throws {
        let path = freshDirectory()
        try DataDirectory(path: path).prepare()
        let file = path + "/plain"
        try AtomicFile.write(path: file, bytes: [1])
        #expect(throws: IdentityError.self) { try NodeIdentity.loadOrCreate(in: DataDirectory(path: file)) }
    }
}
