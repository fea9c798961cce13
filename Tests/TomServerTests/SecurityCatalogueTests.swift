import Foundation
import Testing

/// Docs/security.md and the test sources stay in step: every case of the hostile-input
/// catalogue names tests that exist, and every test named after a case has its row.
@Suite struct SecurityCatalogueTests {
    struct Row {
        var id: String
        var tests: String
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func catalogue() throws -> [Row] {
        let text = try String(contentsOf: root.appendingPathComponent("Docs/security.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Row? in
            guard line.hasPrefix("| H-") else { return nil }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, let id = cells.first, let tests = cells.last else { return nil }
            return Row(id: id, tests: tests)
        }
    }

    /// Every test source, by file, read once.
    static func testSources() throws -> [String: String] {
        let tests = root.appendingPathComponent("Tests")
        var sources: [String: String] = [:]
        let files = FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            sources[file.path] = try String(contentsOf: file, encoding: .utf8)
        }
        return sources
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: $0.numberOfRanges - 1), in: text).map { String(text[$0]) }
        }
    }

    @Test func everyCaseIsAutomatedAndEveryCaseTestHasARow() throws {
        let rows = try Self.catalogue()
        let sources = try Self.testSources()
        let all = sources.values.joined(separator: "\n")
        #expect(rows.count >= 60)
        #expect(Set(rows.map(\.id)).count == rows.count, "duplicate ids in Docs/security.md")

        let namedTests = Set(Self.matches(#"@Test\("(H-[A-Z0-9]+-\d+) "#, in: all))
        for row in rows {
            let bareIDs = Self.matches(#"(?<![\w.`])(H-[A-Z0-9]+-\d+)"#, in: row.tests)
            let qualified = Self.matches(#"`([A-Za-z]+\.[A-Za-z0-9]+)`"#, in: row.tests)
            #expect(!bareIDs.isEmpty || !qualified.isEmpty, "\(row.id) names no test")
            for id in bareIDs {
                #expect(namedTests.contains(id), "\(row.id): no test named \"\(id) ...\"")
            }
            for reference in qualified {
                let parts = reference.split(separator: ".")
                let suite = String(parts[0]), function = String(parts[1])
                let found = sources.values.contains { source in
                    source.contains("struct \(suite)") && source.contains("func \(function)(")
                }
                #expect(found, "\(row.id): \(reference) not found in Tests/")
            }
        }
        for id in namedTests {
            #expect(rows.contains { $0.id == id }, "test \(id) has no row in Docs/security.md")
        }
    }
}
