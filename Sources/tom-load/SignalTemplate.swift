import NIOCore
import TomWebSocketClient

/// One sender's signal message, pre-encoded: everything but the target and the send time is
/// fixed, so a burst fills in the time once and then only copies the bytes and the target
/// into each frame. The text is exactly what `LoadIdentity.signalMessage` builds:
/// `{"type":"signal","from":"<id>","to":"<peer>","payload":{"t":<ns>,"s":<index>,"pad":"x…"}}`.
struct SignalTemplate {
    /// The message with the current burst's time filled in and the target left to patch.
    private var payload: [UInt8] = []
    /// Where the time's digits start in `payload`, and how many there are.
    private var timeOffset: Int { head.count + targetLength + middle.count }
    private var timeDigits = 0
    private let head: [UInt8]
    private let middle: [UInt8]
    private let tail: [UInt8]
    /// Where the target's id goes in `payload`.
    private var targetOffset: Int { head.count }
    let targetLength: Int

    init(identity: LoadIdentity, targetLength: Int, padding: Int) {
        head = Array(#"{"type":"signal","from":"\#(identity.nodeId)","to":""#.utf8)
        middle = Array(#"","payload":{"t":"#.utf8)
        tail = Array(#","s":\#(identity.index),"pad":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: padding)
            + Array(#""}}"#.utf8)
        self.targetLength = targetLength
    }

    /// Sets the send time of the next frames; returns the payload length of each.
    @discardableResult
    mutating func startBurst(sentAt: Int64) -> Int {
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        Self.appendDecimal(sentAt, to: &digits)
        if digits.count == timeDigits {
            // Nanosecond times keep their length for months: only the digits change.
            let offset = timeOffset
            payload.withUnsafeMutableBufferPointer { bytes in
                for (index, digit) in digits.enumerated() {
                    bytes[offset + index] = digit
                }
            }
            return payload.count
        }
        payload.removeAll(keepingCapacity: true)
        payload.append(contentsOf: head)
        payload.append(contentsOf: repeatElement(0, count: targetLength))
        payload.append(contentsOf: middle)
        payload.append(contentsOf: digits)
        payload.append(contentsOf: tail)
        timeDigits = digits.count
        return payload.count
    }

    /// Appends one masked frame of the current burst addressed to `target` (exactly
    /// `targetLength` bytes).
    func appendFrame(to target: UnsafeRawBufferPointer, into buffer: inout ByteBuffer, encoder: inout MaskedFrameEncoder) {
        precondition(target.count == targetLength, "target id of the wrong length")
        payload.withUnsafeBytes { message in
            encoder.appendTextFrame(payloadLength: message.count, to: &buffer) { region in
                region.copyMemory(from: message)
                UnsafeMutableRawBufferPointer(rebasing: region[targetOffset..<(targetOffset + targetLength)])
                    .copyMemory(from: target)
            }
        }
    }

    /// Bytes of one frame of the current burst, header included.
    var frameSize: Int {
        MaskedFrameEncoder.headerSize(payloadLength: payload.count) + payload.count
    }

    static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var start = scratch.count
            repeat {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: scratch[start...])
        }
    }
}
