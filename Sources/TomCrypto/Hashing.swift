import CSodium
import Crypto

public enum Hashing {
    /// SHA-1, which Mainline uses for info-hashes and BEP 44 targets; libsodium has no SHA-1,
    /// so this one primitive comes from swift-crypto.
    public static func sha1(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: Array(bytes)))
    }

    /// Keyed BLAKE2b (libsodium's generichash): a MAC for tokens and a general-purpose hash.
    /// `outputLength` must be 16...64 and `key`, when given, 16...64 bytes.
    public static func blake2b(_ message: [UInt8], key: [UInt8] = [], outputLength: Int = 32) -> [UInt8] {
        precondition((16...64).contains(outputLength), "BLAKE2b output length must be 16...64")
        precondition(key.isEmpty || (16...64).contains(key.count), "BLAKE2b key must be empty or 16...64 bytes")
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: outputLength)
        _ = crypto_generichash(&out, outputLength, message, UInt64(message.count), key.isEmpty ? nil : key, key.count)
        return out
    }

    /// Bytes from libsodium's CSPRNG.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: count)
        randombytes_buf(&out, count)
        return out
    }
}
