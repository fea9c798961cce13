/// The events of one connection as an `AsyncSequence`. Breaking out of a `for` loop does not
/// lose anything: a later loop (or `next()`) continues where the previous one stopped.
public struct WebSocketEvents: AsyncSequence, Sendable {
    public typealias Element = WebSocketEvent

    let connection: WebSocketConnection

    public func makeAsyncIterator() -> Iterator {
        Iterator(connection: connection)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let connection: WebSocketConnection
        private var isDone = false

        init(connection: WebSocketConnection) {
            self.connection = connection
        }

        public mutating func next() async throws -> WebSocketEvent? {
            guard !isDone else { return nil }
            do {
                guard let event = try await connection.next() else {
                    isDone = true
                    return nil
                }
                if event.isClosed { isDone = true }
                return event
            } catch {
                isDone = true
                throw error
            }
        }
    }
}
