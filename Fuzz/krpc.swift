import Bencode
import TomDHT

// Decodes any bytes as a KRPC datagram. Whatever decodes must encode to canonical bencode
// that decodes to the same message, and encoding that again must give the same bytes.

/// Re-decoding may need more room than a datagram: repaired UTF-8 in an error text grows.
private let roomy = KRPCLimits(bencode: .init(maxInputSize: 1 << 20, maxDepth: 32, maxElementCount: 8_192))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let message: KRPCMessage
    do {
        message = try KRPCMessage.decode(input)
    } catch {
        // An error that says "query" must carry the transaction id to answer with.
        invariant(!error.isQuery || error.transactionID != nil, "a query error without its transaction id")
        return 0
    }
    invariant(message.transactionID.count <= KRPCLimits().maxTransactionIDLength, "transaction id over its cap")

    let encoded = message.encoded()
    invariant((try? BencodeDecoder.canonical.decode(encoded)) != nil, "an encoded message is not canonical bencode")
    let again: KRPCMessage
    do {
        again = try KRPCMessage.decode(encoded, limits: roomy)
    } catch {
        invariant(false, "an encoded message does not decode: \(error)")
        return 0
    }
    invariant(again == message, "the message changed through encode and decode")
    invariant(again.encoded() == encoded, "encoding is not stable")

    // A BEP 44 value travels byte for byte as it came.
    if let value = message.query.flatMap(putValue) ?? message.response?.value {
        invariant((try? CanonicalBencode(validating: value.bytes)) == value, "a BEP 44 value is not canonical")
        invariant(value.value.encoded() == value.bytes, "a BEP 44 value's bytes and value disagree")
    }
    return 0
}

private func putValue(_ query: KRPCQuery) -> CanonicalBencode? {
    if case .put(let arguments) = query.method { return arguments.value }
    return nil
}
