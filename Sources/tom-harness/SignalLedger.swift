/// Every signal a migration run sent, so the end can prove nothing was lost: each one was
/// delivered, or its sender got an error back.
struct SignalLedger: Sendable {
    struct Entry: Sendable {
        let marker: String
        let from: Int
        let to: Int
        let kind: String
    }

    struct Tally: Sendable, CustomStringConvertible {
        var sent = 0
        var delivered = 0
        var answeredWithError = 0
        var lost = 0
        var lostExamples: [String] = []

        var description: String {
            "\(sent) signals sent: \(delivered) delivered, \(answeredWithError) answered with an error, \(lost) lost"
        }
    }

    private(set) var entries: [Entry] = []

    mutating func record(marker: String, from: Int, to: Int, kind: String) {
        entries.append(Entry(marker: marker, from: from, to: to, kind: kind))
    }

    /// Counts against what the clients received (on every connection they ever had).
    static func tally(_ entries: [Entry], clients: [MeshClient]) async -> Tally {
        var markers: [Set<String>] = []
        var errors: [Int] = []
        for client in clients {
            markers.append(await client.receivedMarkers())
            errors.append(await client.errorsReceived().values.reduce(0, +))
        }
        return tally(entries, markers: markers, errors: errors, labels: clients.map(\.label))
    }

    /// `markers[i]` and `errors[i]` are what client i received. A sender's errors cover its
    /// undelivered signals one for one (errors carry no marker, so they are counted, not matched).
    static func tally(_ entries: [Entry], markers: [Set<String>], errors: [Int], labels: [String]) -> Tally {
        var tally = Tally()
        var undelivered: [Int: [Entry]] = [:]
        for entry in entries {
            tally.sent += 1
            if markers.indices.contains(entry.to), markers[entry.to].contains(entry.marker) {
                tally.delivered += 1
            } else {
                undelivered[entry.from, default: []].append(entry)
            }
        }
        for (sender, missing) in undelivered.sorted(by: { $0.key < $1.key }) {
            let covered = min(missing.count, errors.indices.contains(sender) ? errors[sender] : 0)
            tally.answeredWithError += covered
            tally.lost += missing.count - covered
            for entry in missing.dropFirst(covered).prefix(3) {
                let from = labels.indices.contains(entry.from) ? labels[entry.from] : "#\(entry.from)"
                let to = labels.indices.contains(entry.to) ? labels[entry.to] : "#\(entry.to)"
                tally.lostExamples.append("\(entry.kind) \(from)->\(to)")
            }
        }
        return tally
    }
}
