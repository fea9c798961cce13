/// The final report: ordered key/value pairs, rendered as aligned text or one JSON object.
struct Summary {
    enum Value {
        case int(Int)
        case number(Double, decimals: Int)
        case text(String)
        case flag(Bool)
        case none
    }

    private(set) var entries: [(key: String, value: Value)] = []

    /// The lines every scenario's report starts with.
    init(scenario: String, target: ServerTarget, clientsRequested: Int) {
        add("scenario", scenario)
        add("url", "ws://\(target.host):\(target.port)\(target.path)")
        add("clients_requested", clientsRequested)
    }

    mutating func add(_ report: ClientFleet.ConnectReport) {
        add("clients_connected", report.connected)
        add("connect_failures", report.failureCount)
        if let topFailure = report.topFailure { add("connect_failure_top", topFailure) }
        add("connect_s", seconds(report.elapsed), decimals: 3)
    }

    mutating func add(_ key: String, _ value: Value) {
        entries.append((key, value))
    }

    mutating func add(_ key: String, _ value: Int) { add(key, .int(value)) }
    mutating func add(_ key: String, _ value: String) { add(key, .text(value)) }
    mutating func add(_ key: String, _ value: Bool) { add(key, .flag(value)) }
    mutating func add(_ key: String, _ value: Double?, decimals: Int) {
        add(key, value.map { .number($0, decimals: decimals) } ?? .none)
    }

    func renderText() -> String {
        let width = entries.map(\.key.count).max() ?? 0
        return entries.map { entry in
            let padding = String(repeating: " ", count: width - entry.key.count)
            return "\(entry.key)\(padding)  \(Self.plain(entry.value))"
        }.joined(separator: "\n")
    }

    func renderJSON() -> String {
        let fields = entries.map { "\(Self.jsonString($0.key)):\(Self.json($0.value))" }
        return "{" + fields.joined(separator: ",") + "}"
    }

    private static func plain(_ value: Value) -> String {
        switch value {
        case .int(let number): return String(number)
        case .number(let number, let decimals): return Formatting.fixed(number, decimals: decimals)
        case .text(let text): return text
        case .flag(let flag): return flag ? "yes" : "no"
        case .none: return "-"
        }
    }

    private static func json(_ value: Value) -> String {
        switch value {
        case .int(let number): return String(number)
        case .number(let number, let decimals):
            return number.isFinite ? Formatting.fixed(number, decimals: decimals) : "null"
        case .text(let text): return jsonString(text)
        case .flag(let flag): return flag ? "true" : "false"
        case .none: return "null"
        }
    }

    private static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }
}
