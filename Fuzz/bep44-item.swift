import Bencode
import TomDHT

// BEP 44 items as a storing node meets them. The input is the `a` dictionary of a `put`
// (first byte even) or the `r` dictionary of a `get` answer (first byte odd); either way the
// item it carries goes through `ItemStore.put`, whose answer must match the BEP 44 rules. A
// share of inputs is also re-signed with a fixed key, so that the paths past the signature
// check (storing, refreshing, seq and cas conflicts, tampering) are reached as well.

private let key = ItemSigningKey(seed: Array(repeating: 7, count: 32))!
private let now = DHTTime(nanoseconds: 1_000_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let arguments: PutItemArguments
    if selector & 1 == 0 {
        let datagram = Array("d1:a".utf8) + body + Array("1:q3:put1:t2:tt1:y1:qe".utf8)
        guard let message = try? KRPCMessage.decode(datagram), let query = message.query,
              case .put(let put) = query.method else { return 0 }
        arguments = put
    } else {
        let datagram = Array("d1:r".utf8) + body + Array("1:t2:tt1:y1:re".utf8)
        guard let message = try? KRPCMessage.decode(datagram), let response = message.response,
              let value = response.value else { return 0 }
        arguments = PutItemArguments(
            token: [], value: value, publicKey: response.publicKey,
            signature: response.signature, sequenceNumber: response.sequenceNumber
        )
    }
    checkPut(arguments)
    if let sequenceNumber = arguments.sequenceNumber, arguments.publicKey != nil, sequenceNumber & 7 == 0 {
        // Signing costs far more than decoding, so only one mutable input in eight is re-signed.
        checkSignedPuts(value: arguments.value, salt: arguments.salt ?? [], sequenceNumber: sequenceNumber)
    }
    return 0
}

/// One put into an empty store: the outcome follows from the fields alone.
private func checkPut(_ arguments: PutItemArguments) {
    var store = ItemStore()
    let result = store.put(arguments, now: now)
    let tooBig = arguments.value.bytes.count > MutableItemSigning.maxValueLength
    switch result {
    case .success(let target):
        invariant(!tooBig, "a value over 1000 bytes was stored")
        let stored = store.item(at: target, now: now)?.item
        invariant(stored?.value == arguments.value, "the stored value differs from the put one")
        if let publicKey = arguments.publicKey {
            invariant(target == ItemTarget.mutable(publicKey: publicKey, salt: arguments.salt ?? []), "wrong mutable target")
            invariant(stored?.sequenceNumber == arguments.sequenceNumber, "the stored seq differs")
            if case .mutable(let item) = stored {
                invariant(item.hasValidSignature, "an item with a bad signature was stored")
            } else {
                invariant(false, "a put with a key was stored as immutable")
            }
        } else {
            invariant(target == ItemTarget.immutable(arguments.value), "wrong immutable target")
        }
    case .failure(let error):
        switch error {
        case .valueTooBig: invariant(tooBig, "valueTooBig for a small value")
        case .saltTooBig: invariant((arguments.salt?.count ?? 0) > MutableItemSigning.maxSaltLength, "saltTooBig for a short salt")
        case .missingField: invariant(arguments.signature == nil || arguments.sequenceNumber == nil, "missingField with all fields")
        case .invalidSignature: invariant(arguments.publicKey != nil, "invalidSignature for an immutable item")
        default: invariant(false, "an empty store refused a put with \(error)")
        }
    }
}

/// A validly signed item under the fixed key: stored, refreshed, and guarded against older
/// seqs, a wrong cas, another value under the same seq, and tampering.
private func checkSignedPuts(value: CanonicalBencode, salt: [UInt8], sequenceNumber: Int64) {
    guard value.bytes.count <= MutableItemSigning.maxValueLength, salt.count <= MutableItemSigning.maxSaltLength else { return }
    let item = MutableItem.signed(value: value, salt: salt, sequenceNumber: sequenceNumber, key: key)
    invariant(item.hasValidSignature, "a freshly signed item does not verify")
    func put(_ item: MutableItem, cas: Int64? = nil) -> PutItemArguments {
        PutItemArguments(
            token: [], value: item.value, publicKey: item.publicKey, signature: item.signature,
            sequenceNumber: item.sequenceNumber, expectedSequenceNumber: cas, salt: item.salt
        )
    }
    var store = ItemStore()
    invariant(store.put(put(item), now: now) == .success(item.target), "a signed item was refused")
    invariant(store.put(put(item), now: now) == .success(item.target), "an identical re-put was refused")
    invariant(store.put(put(item, cas: sequenceNumber), now: now) == .success(item.target), "a matching cas was refused")
    if sequenceNumber < .max {
        invariant(store.put(put(item, cas: sequenceNumber + 1), now: now) == .failure(.casMismatch), "a wrong cas was accepted")
    }

    var tampered = item
    tampered.sequenceNumber = sequenceNumber ^ 1
    invariant(store.put(put(tampered), now: now) == .failure(.invalidSignature), "a changed seq kept its signature")
    tampered = item
    tampered.salt = salt + [0]
    if tampered.salt.count <= MutableItemSigning.maxSaltLength {
        invariant(store.put(put(tampered), now: now) == .failure(.invalidSignature), "a changed salt kept its signature")
    }

    if sequenceNumber > .min {
        let older = MutableItem.signed(value: value, salt: salt, sequenceNumber: sequenceNumber - 1, key: key)
        invariant(store.put(put(older), now: now) == .failure(.sequenceNumberNotNewer), "an older seq replaced a newer one")
    }
    let other = CanonicalBencode(.list([item.value.value]))
    if other.bytes.count <= MutableItemSigning.maxValueLength {
        let rival = MutableItem.signed(value: other, salt: salt, sequenceNumber: sequenceNumber, key: key)
        invariant(store.put(put(rival), now: now) == .failure(.sequenceNumberNotNewer), "another value under the same seq was stored")
    }
    invariant(store.item(at: item.target, now: now)?.item == .mutable(item), "the stored item changed")
}
