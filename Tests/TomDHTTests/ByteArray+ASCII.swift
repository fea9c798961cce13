extension Array where Element == UInt8 {
    init(ascii text: String) {
        self = Array(text.utf8)
    }
}
