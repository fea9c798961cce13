import NIOCore
import TomWebSocketClient

/// One WebSocket client of the legacy protocol: sends (recorded in the transcript) and a pump
/// task that reads every event as soon as it arrives into a `ClientInbox`, so a client never
/// slows a server down however much it is sent.
struct ClientLink: Sendable {
    let label: String
    let connection: WebSocketConnection
    let inbox: ClientInbox
    let transcript: Transcript
    private let pump: Task<Void, Never>

    static func connect(
        _ server: ServerAddress, path: String = "/", label: String, subprotocols: [String] = [],
        transcript: Transcript, keepsQueue: Bool = true, timeout: Duration
    ) async throws -> ClientLink {
        let connection = try await WebSocketClient.connect(
            host: server.host, port: server.port, path: path, subprotocols: subprotocols,
            maxFrameSize: 64 << 20, handshakeTimeout: timeout)
        if transcript.isEnabled {
            await transcript.record(label, .event, "connected to \(server)\(path)")
        }
        return ClientLink(label: label, connection: connection, transcript: transcript, keepsQueue: keepsQueue)
    }

    private init(label: String, connection: WebSocketConnection, transcript: Transcript, keepsQueue: Bool) {
        let inbox = ClientInbox(keepsQueue: keepsQueue)
        self.label = label
        self.connection = connection
        self.inbox = inbox
        self.transcript = transcript
        self.pump = Task {
            do {
                for try await event in connection.events {
                    let item = Self.inbound(event)
                    if transcript.isEnabled {
                        await transcript.record(label, item.isTerminal ? .event : .received, Self.transcriptText(event))
                    }
                    await inbox.deliver(item)
                }
            } catch {
                if transcript.isEnabled { await transcript.record(label, .event, "failed: \(error)") }
                await inbox.deliver(.failed("\(error)"))
            }
        }
    }

    private static func inbound(_ event: WebSocketEvent) -> Inbound {
        switch event {
        case .text(let text):
            if let value = JSONValue.parse(text) { return .json(value, text: text) }
            return .notJSON(text)
        case .binary(let buffer):
            return .binary(bytes: buffer.readableBytes)
        case .closed:
            return .closed(code: event.closeCodeNumber)
        }
    }

    private static func transcriptText(_ event: WebSocketEvent) -> String {
        switch event {
        case .text(let text): return text
        case .binary(let buffer): return "binary frame, \(buffer.readableBytes) bytes"
        case .closed: return "closed (\(event.closeCodeNumber.map(String.init) ?? "no close frame"))"
        }
    }

    var isOpen: Bool { connection.isOpen }

    func send(_ message: JSONValue) async throws {
        try await send(text: message.text)
    }

    func send(text: String) async throws {
        if transcript.isEnabled { await transcript.record(label, .sent, text) }
        try await connection.send(text: text)
    }

    func send(binary bytes: [UInt8]) async throws {
        if transcript.isEnabled {
            await transcript.record(label, .sent, "binary: " + String(decoding: bytes, as: UTF8.self))
        }
        try await connection.send(binary: bytes)
    }

    /// Sends one hand-made frame (reserved opcodes, unmasked, RSV bits, invalid UTF-8).
    func sendRaw(opcode: UInt8, payload: [UInt8], masked: Bool = true, rsv1: Bool = false) async throws {
        if transcript.isEnabled {
            await transcript.record(
                label, .sent,
                "raw frame opcode \(opcode) masked \(masked) rsv1 \(rsv1): " + String(decoding: payload, as: UTF8.self))
        }
        try await connection.sendRaw(opcode: opcode, payload: payload, masked: masked, rsv1: rsv1)
    }

    /// Closes with 1000 and waits (briefly) for the server's answer.
    func close() async {
        if transcript.isEnabled { await transcript.record(label, .event, "closing") }
        try? await connection.close()
    }

    /// Drops the TCP connection without a close handshake.
    func abort() async {
        await connection.abort()
    }

    /// Stops reading; call once the client is no longer needed.
    func stop() async {
        await connection.abort()
        pump.cancel()
    }
}
