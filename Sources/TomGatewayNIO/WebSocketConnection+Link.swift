import TomGateway
import TomWebSocketClient

extension WebSocketConnection {
    /// This dialled connection as a gateway link: its messages as frames for
    /// `LinkSession.initiate`, and a transport that sends 1 KiB fragments, which pass any
    /// server's frame limit (`--max-message-bytes` is at least 1 KiB).
    public func gatewayLink(remote: String) -> (frames: AsyncThrowingStream<[UInt8], any Error>, transport: LinkTransport) {
        let frames = AsyncThrowingStream<[UInt8], any Error> {
            while let event = try await self.next() {
                switch event {
                case .binary(let buffer): return Array(buffer: buffer)
                case .text(let text): return Array(text.utf8)
                case .closed: return nil
                }
            }
            return nil
        }
        let transport = LinkTransport(
            send: { try await self.send(binary: $0, fragmentSize: 1024) },
            close: { try? await self.close() },
            remote: remote)
        return (frames, transport)
    }
}
