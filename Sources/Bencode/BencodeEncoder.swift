/// Writes canonical bencode: dictionary keys in raw-byte order, minimal integers and lengths.
/// Canonical output is what makes hashes and signatures over encoded values reproducible.
public enum BencodeEncoder {
    public static func encode(_ value: BencodeValue) -> [UInt8] {
        var output: [UInt8] = []
        append(value, to: &output)
        return output
    }

    public static func append(_ value: BencodeValue, to output: inout [UInt8]) {
        switch value {
        case .integer(let number):
            appendInteger(number, to: &output)
        case .bytes(let bytes):
            appendByteString(bytes, to: &output)
        case .list(let elements):
            output.append(ASCII.listStart)
            for element in elements {
                append(element, to: &output)
            }
            output.append(ASCII.end)
        case .dictionary(let dictionary):
            output.append(ASCII.dictionaryStart)
            for key in dictionary.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                appendByteString(key, to: &output)
                if let child = dictionary[key] {
                    append(child, to: &output)
                }
            }
            output.append(ASCII.end)
        }
    }

    /// `<length>:<bytes>`.
    public static func appendByteString(_ bytes: [UInt8], to output: inout [UInt8]) {
        appendDecimal(Int64(bytes.count), to: &output)
        output.append(ASCII.colon)
        output.append(contentsOf: bytes)
    }

    /// `<length>:<bytes>` for any contiguous run of bytes, such as a slice of a datagram.
    public static func appendByteString(_ bytes: ArraySlice<UInt8>, to output: inout [UInt8]) {
        appendDecimal(Int64(bytes.count), to: &output)
        output.append(ASCII.colon)
        output.append(contentsOf: bytes)
    }

    /// `<length>:<text>` for a literal such as a dictionary key, without allocating.
    public static func appendByteString(_ text: StaticString, to output: inout [UInt8]) {
        appendDecimal(Int64(text.utf8CodeUnitCount), to: &output)
        output.append(ASCII.colon)
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `i<number>e`.
    public static func appendInteger(_ number: Int64, to output: inout [UInt8]) {
        output.append(ASCII.integerStart)
        appendDecimal(number, to: &output)
        output.append(ASCII.end)
    }

    /// Minimal decimal digits, written in place (no temporary buffer).
    static func appendDecimal(_ number: Int64, to output: inout [UInt8]) {
        // Most numbers written are string lengths below 100.
        if number >= 0, number < 10 {
            output.append(ASCII.zero + UInt8(truncatingIfNeeded: number))
            return
        }
        if number >= 10, number < 100 {
            output.append(ASCII.zero + UInt8(truncatingIfNeeded: number / 10))
            output.append(ASCII.zero + UInt8(truncatingIfNeeded: number % 10))
            return
        }
        if number < 0 { output.append(ASCII.minus) }
        // `magnitude` is a UInt64, so Int64.min needs no special case.
        var remaining = number.magnitude
        var digitCount = 1
        var scan = remaining
        while scan >= 10 {
            scan /= 10
            digitCount += 1
        }
        output.append(contentsOf: repeatElement(ASCII.zero, count: digitCount))
        var index = output.count - 1
        repeat {
            output[index] = ASCII.zero + UInt8(remaining % 10)
            remaining /= 10
            index -= 1
        } while remaining > 0
    }
}

extension BencodeValue {
    /// The canonical bencoding of this value.
    public func encoded() -> [UInt8] {
        BencodeEncoder.encode(self)
    }
}
