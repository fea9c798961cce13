import NIOHTTP1

/// HTTP header fields as plain strings, so callers need not import NIOHTTP1.
/// Names compare case-insensitively, as HTTP requires.
public struct HeaderFields: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    init(_ headers: HTTPHeaders) {
        self.fields = headers.map { (name: $0.name, value: $0.value) }
    }

    /// Every value of the header `name`, in received order.
    public subscript(name: String) -> [String] {
        let lowered = name.lowercased()
        return fields.filter { $0.name.lowercased() == lowered }.map(\.value)
    }

    /// The first value of the header `name`, if present.
    public func first(_ name: String) -> String? {
        self[name].first
    }

    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    public func contains(_ name: String) -> Bool {
        !self[name].isEmpty
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    var httpHeaders: HTTPHeaders {
        HTTPHeaders(fields.map { ($0.name, $0.value) })
    }
}
