import Bencode
import TomDHT
import TomGateway

// Gateway-link frames and the roster pages they carry. Frames must be canonical bencode,
// so a decoded frame re-encodes to a frame that decodes to the same message. With the first
// byte 'R' or 'r' the rest is instead a roster page's value (page 0 or 1); a page that
// decodes must encode to a value that decodes to the same page.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    if let first = input.first, first == UInt8(ascii: "R") || first == UInt8(ascii: "r") {
        guard let value = try? CanonicalBencode(validating: Array(input.dropFirst())) else { return 0 }
        checkPage(value, page: first == UInt8(ascii: "R") ? 0 : 1)
        return 0
    }
    let message: LinkMessage
    do {
        message = try LinkMessage.decode(input)
    } catch {
        return 0
    }
    let encoded = message.encoded
    invariant(encoded.count <= input.count, "re-encoding a frame made it longer")
    let again = try? LinkMessage.decode(encoded)
    invariant(again == message, "a frame changed through encode and decode")
    invariant(again?.encoded == encoded, "frame encoding is not stable")
    // A limit exactly the frame's size must not change anything.
    invariant((try? LinkMessage.decode(input, maxFrameBytes: input.count)) == message, "a frame at its own size limit decoded differently")

    switch message {
    case .items(let items):
        invariant(items.count <= 4096, "more items than a frame may carry")
        for item in items.prefix(4) {
            invariant(item.publicKey.count == 32 && item.signature.count == 64 && item.salt.count <= 64, "item field sizes")
            invariant((try? CanonicalBencode(validating: item.value.bytes)) == item.value, "an item value is not canonical")
            checkPage(item.value, page: 0)
            checkPage(item.value, page: 1)
        }
    case .hello(let key, let nonce, _), .welcome(let key, let nonce, _):
        invariant(key.count == 32 && nonce.count == 32, "handshake field sizes")
    default:
        break
    }
    return 0
}

private func checkPage(_ value: CanonicalBencode, page: Int) {
    guard let decoded = try? RosterPage.decode(value, page: page) else { return }
    let encoded = decoded.encoded
    invariant(encoded.bytes.count <= value.bytes.count, "re-encoding a page made it longer")
    invariant((try? RosterPage.decode(encoded, page: page)) == decoded, "a roster page changed through encode and decode")
    switch decoded {
    case .manifest(let manifest):
        invariant(page == 0, "a manifest outside page 0")
        invariant((0...4096).contains(manifest.pageCount) && manifest.digest.count == 16 && manifest.endpoints.count <= 8, "manifest bounds")
    case .entries(let entries):
        invariant(page != 0, "entries on page 0")
        invariant(entries.count <= 32, "too many entries on a page")
        for entry in entries {
            invariant(!entry.participant.nodeId.isEmpty && !entry.participant.username.isEmpty && entry.registeredAt >= 0, "entry bounds")
        }
    }
}
