/// Random lowercase hex, for nodeIds (64 chars, like an Ed25519 key in hex) and signal markers.
enum RandomHex {
    private static let digits = Array("0123456789abcdef")

    static func make(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var out = ""
        out.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }

    static func nodeId() -> String { make(bytes: 32) }
}
