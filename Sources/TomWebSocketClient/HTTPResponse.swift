import NIOCore

/// A complete, buffered HTTP/1.1 response.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: HeaderFields
    public let body: ByteBuffer

    /// The body decoded as UTF-8 (invalid bytes replaced).
    public var bodyText: String { String(buffer: body) }
}
