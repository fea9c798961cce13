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
            output.append(ASCII.integerStart)
            appendDecimal(number, to: &output)
            output.append(ASCII.end)
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

    static func appendByteString(_ bytes: [UInt8], to output: inout [UInt8]) {
        appendDecimal(Int64(bytes.count), to: &output)
        output.append(ASCII.colon)
        output.append(contentsOf: bytes)
    }

    static func appendDecimal(_ number: Int64, to output: inout [UInt8]) {
        if number < 0 { output.append(ASCII.minus) }
        // `magnitude` is a UInt64, so Int64.min needs no special case.
        var remaining = number.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(ASCII.zero + UInt8(remaining % 10))
            remaining /= 10
        } while remaining > 0
        output.append(contentsOf: digits.reversed())
    }
}

extension BencodeValue {
    /// The canonical bencoding of this value.
    public func encoded() -> [UInt8] {
        BencodeEncoder.encode(self)
    }
}
