import Foundation

/// Every message each client saw, one line each: seconds since the run started, the client's
/// label, the direction (`->` sent, `<-` received, `**` connection events) and the text.
/// Tabs and newlines in the text are escaped so one message is always one line.
actor Transcript {
    enum Direction: String, Sendable {
        case sent = "->"
        case received = "<-"
        case event = "**"
    }

    /// False when no file was asked for: callers then skip building the line at all.
    nonisolated let isEnabled: Bool
    private let start: ContinuousClock.Instant
    private var handle: FileHandle?
    private var pending = ""

    init(path: String?, start: ContinuousClock.Instant = .now) throws {
        self.start = start
        guard let path else {
            isEnabled = false
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw HarnessError("cannot create the transcript file \(path)")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw HarnessError("cannot open the transcript file \(path)")
        }
        self.handle = handle
        isEnabled = true
    }

    static var disabled: Transcript {
        // A nil path never throws.
        try! Transcript(path: nil)
    }

    func record(_ label: String, _ direction: Direction, _ text: String, at instant: ContinuousClock.Instant = .now) {
        guard handle != nil else { return }
        let elapsed = instant - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let escaped = text.replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\r")
        pending += String(format: "%.6f", seconds) + "\t" + label + "\t" + direction.rawValue + "\t" + escaped + "\n"
        if pending.utf8.count >= 64 << 10 { flush() }
    }

    func flush() {
        guard let handle, !pending.isEmpty else { return }
        try? handle.write(contentsOf: Data(pending.utf8))
        pending = ""
    }

    func close() {
        flush()
        try? handle?.close()
        handle = nil
    }
}
