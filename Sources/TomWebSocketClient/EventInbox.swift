import NIOCore

/// The bounded queue of events waiting for the consumer, plus the end-of-stream state.
/// Lives on the channel's event loop; its watermarks drive read back-pressure, counted in
/// events and in bytes (a few participants lists for 10,000 clients are already megabytes).
struct EventInbox {
    struct Watermark {
        var events: Int
        var bytes: Int
    }

    /// At or above either limit the handler stops asking the socket for more data.
    let high: Watermark
    /// Reading resumes once the consumer has drained the queue to within both limits.
    let low: Watermark

    private var queued = CircularBuffer<WebSocketEvent>(initialCapacity: 16)
    private var queuedBytes = 0
    /// Set once the final event (or error) is known; nothing is queued after that.
    private(set) var isFinished = false
    private(set) var failure: (any Error)?

    init(
        high: Watermark = Watermark(events: 256, bytes: 4 << 20),
        low: Watermark = Watermark(events: 64, bytes: 1 << 20)
    ) {
        self.high = high
        self.low = low
    }

    var isEmpty: Bool { queued.isEmpty }
    var isAboveHighWatermark: Bool { queued.count >= high.events || queuedBytes >= high.bytes }
    var isAtOrBelowLowWatermark: Bool { queued.count <= low.events && queuedBytes <= low.bytes }

    mutating func append(_ event: WebSocketEvent) {
        guard !isFinished else { return }
        queued.append(event)
        queuedBytes += event.payloadSize
        if event.isClosed { isFinished = true }
    }

    /// Ends the stream with an error, delivered after the events already queued.
    mutating func finish(throwing error: any Error) {
        guard !isFinished else { return }
        failure = error
        isFinished = true
    }

    mutating func take(upTo maxCount: Int) -> [WebSocketEvent] {
        let count = min(maxCount, queued.count)
        var taken: [WebSocketEvent] = []
        taken.reserveCapacity(count)
        for _ in 0..<count {
            let event = queued.removeFirst()
            queuedBytes -= event.payloadSize
            taken.append(event)
        }
        return taken
    }
}

extension WebSocketEvent {
    fileprivate var payloadSize: Int {
        switch self {
        case .text(let text): return text.utf8.count
        case .binary(let buffer): return buffer.readableBytes
        case .closed: return 0
        }
    }
}
