import Glibc

/// Random 32-bit masking keys drawn from a pool that is refilled from the kernel's CSPRNG
/// (/dev/urandom) 1,024 keys at a time: `WebSocketMaskingKey.random()` makes one getrandom(2)
/// call per frame, which showed up in the load tool's profile.
struct MaskingKeyPool {
    private static let capacity = 1024
    private var keys = [UInt32](repeating: 0, count: capacity)
    private var nextIndex = capacity

    mutating func next() -> UInt32 {
        if nextIndex == Self.capacity {
            refill()
        }
        defer { nextIndex += 1 }
        return keys[nextIndex]
    }

    private mutating func refill() {
        keys.withUnsafeMutableBytes { bytes in
            var filled = 0
            let source = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
            if source >= 0 {
                while filled < bytes.count {
                    let count = read(source, bytes.baseAddress! + filled, bytes.count - filled)
                    guard count > 0 else { break }
                    filled += count
                }
                close(source)
            }
            if filled < bytes.count {
                // Without /dev/urandom (a chroot, say), the stdlib's generator, one call per 8 bytes.
                var generator = SystemRandomNumberGenerator()
                for index in stride(from: 0, to: bytes.count, by: 8) {
                    bytes.storeBytes(of: generator.next(), toByteOffset: index, as: UInt64.self)
                }
            }
        }
        nextIndex = 0
    }
}
