/// Stops the fuzzer with a message when a round-trip or consistency rule is broken.
///
/// A decoder that throws is fine; a decoder that accepts something and then disagrees with
/// itself (or with the encoder) is a bug, and trapping is how libFuzzer records it.
@inline(never)
func invariant(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition {
        fatalError("invariant broken: \(message())", file: file, line: line)
    }
}

/// The fuzzer's input as an array, the form every decoder here takes.
func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
