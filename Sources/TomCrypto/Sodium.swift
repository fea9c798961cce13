import CSodium

/// libsodium must be initialised once per process before any other call; `sodium_init` is
/// idempotent and thread-safe, so a lazily evaluated global is enough.
enum Sodium {
    static let isReady: Bool = sodium_init() >= 0

    static func ensureReady() {
        precondition(isReady, "libsodium failed to initialise (sodium_init < 0)")
    }
}
