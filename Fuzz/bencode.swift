import Bencode

// Decodes any bytes as bencode, leniently (unsorted keys allowed, as the DHT does) and
// canonically, and checks that the two agree with each other, with the encoder, with tighter
// limits and with the raw-span lookup BEP 44 signatures depend on.

private let lenient = BencodeDecoder()
private let canonical = BencodeDecoder.canonical
private let tight = BencodeDecoder(limits: .init(maxInputSize: 256, maxDepth: 3, maxElementCount: 24))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let strict = try? canonical.decode(input)
    let value: BencodeValue
    do {
        value = try lenient.decode(input)
    } catch {
        invariant(strict == nil, "the canonical decoder accepted what the lenient one refused")
        return 0
    }

    // Encoding is canonical, so it must decode canonically to the same value and be stable.
    let encoded = value.encoded()
    invariant(encoded.count == input.count, "re-encoding changed the length: \(input.count) -> \(encoded.count)")
    let again = try? canonical.decode(encoded)
    invariant(again == value, "the encoding does not decode to the value it came from")
    invariant(again?.encoded() == encoded, "encoding is not stable")

    if let strict {
        invariant(strict == value, "the two decoders disagree on a canonical input")
        invariant(encoded == input, "canonical input does not re-encode byte for byte")
        invariant((try? CanonicalBencode(validating: input))?.value == value, "CanonicalBencode disagrees")
    } else {
        invariant(encoded != input, "lenient-only input re-encodes to itself, so it was canonical")
    }

    // Tighter limits may refuse, but only for a limit, and never produce another value.
    do {
        invariant(try tight.decode(input) == value, "a tighter decoder produced another value")
    } catch {
        let limitErrors: Set<BencodeError> = [.tooLarge, .tooDeep, .tooManyElements]
        invariant(limitErrors.contains(error), "a tighter decoder refused for a non-limit reason: \(error)")
    }

    checkRawSpans(of: value, at: [], in: input, depth: 0)
    return 0
}

/// A child's raw span must decode to that child (two levels down), and a missing path has none.
private func checkRawSpans(of value: BencodeValue, at path: [BencodePathComponent], in input: [UInt8], depth: Int) {
    guard depth < 2 else { return }
    // Each lookup re-validates the whole input, so only a few children are followed.
    let width = depth == 0 ? 4 : 2
    var children: [(BencodePathComponent, BencodeValue)] = []
    switch value {
    case .dictionary(let entries):
        children = entries.prefix(width).map { (.key($0.key), $0.value) }
        let absent: [UInt8] = Array("\u{7f}absent".utf8)
        if entries[absent] == nil { expectNoSpan(at: path + [.key(absent)], in: input) }
    case .list(let elements):
        children = elements.prefix(width).enumerated().map { (.index($0.offset), $0.element) }
        expectNoSpan(at: path + [.index(elements.count)], in: input)
    case .integer, .bytes:
        expectNoSpan(at: path + [.index(0)], in: input)
        return
    }
    for (component, child) in children {
        let childPath = path + [component]
        let raw: ArraySlice<UInt8>?
        do {
            raw = try lenient.rawBytes(at: childPath, in: input)
        } catch {
            invariant(false, "a span lookup failed on valid input: \(error)")
            return
        }
        guard let raw else {
            invariant(false, "no span for an existing child at \(childPath)")
            return
        }
        invariant((try? lenient.decode(raw)) == child, "a child's span decodes to something else at \(childPath)")
        checkRawSpans(of: child, at: childPath, in: input, depth: depth + 1)
    }
}

private func expectNoSpan(at path: [BencodePathComponent], in input: [UInt8]) {
    do {
        let range = try lenient.rangeOfValue(at: path, in: input)
        invariant(range == nil, "a missing path has a span: \(path)")
    } catch {
        invariant(false, "a span lookup failed on valid input: \(error)")
    }
}
