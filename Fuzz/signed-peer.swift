import Bencode
import TomDHT

// Signed-peer records (the signed-peers draft BEP): the 104-byte compact form on its own, as
// the `peers` of a `get_signed_peers` answer and as the `k`/`t`/`sig` of an
// `announce_signed_peer`. A 28-byte input is instead an info-hash and a timestamp to sign
// with a fixed key, which must verify, survive the compact form, and fail once altered.

private let key = ItemSigningKey(seed: Array(repeating: 9, count: 32))!
private let infoHash = NodeID(bytes: Array(repeating: 0x5a, count: 20))!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    if input.count == 28 {
        checkSigning(infoHash: NodeID(bytes: input[0..<20])!, timestampBytes: Array(input[20...]))
    }
    let direct = SignedPeer(compact: input)
    if let peer = direct {
        invariant(input.count == SignedPeer.compactLength, "a record of \(input.count) bytes was read")
        invariant(peer.timestamp >= 0, "a negative timestamp was read")
        invariant(peer.publicKey.count == 32 && peer.signature.count == 64, "wrong key or signature size")
        invariant(peer.compactBytes == input, "the compact form does not round-trip")
        invariant(SignedPeer(compact: ([0] + input).dropFirst()) == peer, "a slice not starting at 0 reads differently")
        // Nobody can forge a signature, and verifying garbage must not trap.
        invariant(!peer.isValid(for: infoHash) || peer.publicKey == key.publicKey, "a random record verified")
    } else {
        invariant(input.count != SignedPeer.compactLength || input[32] & 0x80 != 0, "a well-sized record was refused")
    }
    checkResponse(records: input, direct: direct)
    checkAnnounce(input)
    return 0
}

/// The input split into 104-byte records (with any remainder as a short last one) inside
/// a `get_signed_peers` answer: accepted exactly when every record reads on its own.
private func checkResponse(records input: [UInt8], direct: SignedPeer?) {
    var chunks: [[UInt8]] = []
    var start = 0
    while start < input.count, chunks.count < 80 {
        chunks.append(Array(input[start..<min(start + SignedPeer.compactLength, input.count)]))
        start += SignedPeer.compactLength
    }
    guard start >= input.count else { return }
    let response: BencodeValue = [
        "t": "tt", "y": "r",
        "r": ["id": .bytes(Array(repeating: 1, count: 20)), "peers": .list(chunks.map(BencodeValue.bytes))],
    ]
    let decoded = try? KRPCMessage.decode(response.encoded())
    let expected = chunks.map { SignedPeer(compact: $0) }
    if chunks.count <= KRPCLimits().maxSignedPeersPerResponse, expected.allSatisfy({ $0 != nil }) {
        invariant(decoded?.response?.signedPeers == expected.map { $0! }, "an answer's records differ from the records")
        if let again = decoded.flatMap({ try? KRPCMessage.decode($0.encoded()) }) {
            invariant(again == decoded, "an answer with records does not round-trip")
        } else {
            invariant(false, "an answer with records does not re-decode")
        }
    } else {
        invariant(decoded == nil, "an answer with an unreadable record or too many was accepted")
    }
    if chunks.count == 1 { invariant(direct == expected[0], "one record read two ways differs") }
}

/// `k`, `t` and `sig` taken from the input's bytes, as an `announce_signed_peer` query.
private func checkAnnounce(_ input: [UInt8]) {
    guard input.count >= 9 else { return }
    let timestamp = Int64(bitPattern: input[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    let rest = Array(input[8...])
    let keyBytes = Array(rest.prefix(32))
    let signature = Array(rest.dropFirst(32))
    let query: BencodeValue = [
        "t": "tt", "y": "q", "q": "announce_signed_peer",
        "a": [
            "id": .bytes(Array(repeating: 2, count: 20)), "info_hash": .bytes(infoHash.bytes), "token": "tok",
            "k": .bytes(keyBytes), "t": .integer(timestamp), "sig": .bytes(signature),
        ],
    ]
    let decoded = try? KRPCMessage.decode(query.encoded())
    let wellFormed = keyBytes.count == 32 && signature.count == 64 && timestamp >= 0
    guard let decoded else {
        invariant(!wellFormed, "a well-formed announce_signed_peer was refused")
        return
    }
    invariant(wellFormed, "a malformed announce_signed_peer was accepted")
    guard case .announceSignedPeer(let arguments) = decoded.query?.method else {
        invariant(false, "announce_signed_peer decoded as another method")
        return
    }
    invariant(arguments.peer == SignedPeer(publicKey: keyBytes, timestamp: timestamp, signature: signature), "fields moved")
    invariant((try? KRPCMessage.decode(decoded.encoded())) == decoded, "announce_signed_peer does not round-trip")
}

private func checkSigning(infoHash: NodeID, timestampBytes: [UInt8]) {
    let raw = Int64(bitPattern: timestampBytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    let timestamp = raw & .max  // non-negative, as honest records are
    let peer = SignedPeer.signed(infoHash: infoHash, timestamp: timestamp, key: key)
    invariant(peer.isValid(for: infoHash), "a signed record does not verify")
    invariant(SignedPeer(compact: peer.compactBytes) == peer, "a signed record does not survive its compact form")
    var moved = infoHash.bytes
    moved[Int(timestampBytes[0]) % 20] ^= 1
    invariant(!peer.isValid(for: NodeID(bytes: moved)!), "a record verified for another info-hash")
    var aged = peer
    aged.timestamp = timestamp ^ 1
    invariant(!aged.isValid(for: infoHash), "a record verified with another timestamp")
}
