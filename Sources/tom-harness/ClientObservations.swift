/// What a client has seen so far, summed up for the migration checks, which care about the
/// latest state rather than the exact sequence.
struct ClientObservations: Sendable {
    /// The nodeIds of the latest participants list, in its order (nil before the first list).
    var participants: [String]?
    var participantsLists = 0
    /// `payload.marker` of every signal received.
    var signalMarkers: Set<String> = []
    /// Every signal received, in order (its `payload`).
    var signalPayloads: [JSONValue] = []
    /// `error` texts received, with their counts.
    var errors: [String: Int] = [:]
    var isClosed = false

    mutating func apply(_ item: Inbound) {
        switch item {
        case .json(let message, _):
            switch message.messageType {
            case "participants":
                participantsLists += 1
                participants = (message["participants"]?.arrayValue ?? []).compactMap { $0["nodeId"]?.stringValue }
            case "signal":
                if let payload = message["payload"] {
                    signalPayloads.append(payload)
                    if let marker = payload["marker"]?.stringValue { signalMarkers.insert(marker) }
                }
            case "error":
                errors[message["error"]?.stringValue ?? "?", default: 0] += 1
            default:
                break
            }
        case .closed, .failed:
            isClosed = true
        case .notJSON, .binary:
            break
        }
    }

    var errorCount: Int { errors.values.reduce(0, +) }
}
