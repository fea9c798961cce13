import TomDHT

/// One to three random edits of a message (a structural bencode byte, a deletion, an
/// insertion, or a random byte), shared by the KRPC fuzz and decoder-equivalence tests.
enum ByteMutation {
    static let structural = Array("ilde0123456789:-".utf8)

    static func mutate(_ input: inout [UInt8], using generator: inout DHTRandom) {
        for _ in 0..<Int.random(in: 1...3, using: &generator) where !input.isEmpty {
            let index = Int.random(in: 0..<input.count, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: input[index] = structural.randomElement(using: &generator) ?? 0
            case 1: input.remove(at: index)
            case 2: input.insert(UInt8.random(in: 0...255, using: &generator), at: index)
            default: input[index] = UInt8.random(in: 0...255, using: &generator)
            }
        }
    }
}
