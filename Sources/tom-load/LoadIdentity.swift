/// A simulated client's identity, shaped like a real one: 64-hex node id (used as public
/// key too, as real clients do) and a 64-hex encryption key.
struct LoadIdentity: Sendable {
    let index: Int
    let nodeId: String
    let encryptionKey: String

    var username: String { "load-\(index)" }

    init(index: Int) {
        self.index = index
        self.nodeId = Self.randomHex(bytes: 32)
        self.encryptionKey = Self.randomHex(bytes: 32)
    }

    var registerMessage: String {
        #"{"type":"register","nodeId":"\#(nodeId)","username":"\#(username)","publicKey":"\#(nodeId)","encryptionKey":"\#(encryptionKey)"}"#
    }

    /// `t` is the send time (MonotonicClock ns) and `s` the sender's index, read back by the receiver.
    func signalMessage(to peer: String, sentAt: Int64, padding: String) -> String {
        #"{"type":"signal","from":"\#(nodeId)","to":"\#(peer)","payload":{"t":\#(sentAt),"s":\#(index),"pad":"\#(padding)"}}"#
    }

    private static func randomHex(bytes: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        var hex: [UInt8] = []
        hex.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
