import HummingbirdCore
import Logging
import NIOCore
#if TLS
import NIOSSL
#endif

/// The PEM files of `--tls-cert` and `--tls-key`: with them the port speaks TLS only
/// (`wss://` and `https://`).
public struct TLSFiles: Sendable, Equatable {
    /// The server certificate, then any intermediates.
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// TLS through NIOSSL as the first handler of every connection, so admission, refusals, the
/// request-head deadline and the legacy protocol run unchanged inside it. It is compiled only
/// with the package trait `TLS` (`swift build --traits TLS`): NIOSSL brings BoringSSL, which
/// adds minutes to every clean build, and most deployments terminate TLS in a proxy.
public enum ServerTLS {
    /// Whether this build can serve TLS.
    public static var isAvailable: Bool {
        #if TLS
        true
        #else
        false
        #endif
    }

    /// `channel`, behind TLS when `files` is set. The files are read when the server starts,
    /// so a missing or invalid one fails the start with an error that names it.
    static func wrap<Channel: ServerChildChannel>(_ channel: Channel, files: TLSFiles?) throws -> any ServerChildChannel {
        guard let files else { return channel }
        #if TLS
        return TLSFirstChannel(base: channel, context: try NIOSSLContext(configuration: configuration(files)))
        #else
        throw TLSError(path: files.certificateChainPath, reason: "this tom-node was built without TLS (build with --traits TLS)")
        #endif
    }

    #if TLS
    /// TLS 1.2 and later with NIOSSL's default ciphers; no client certificates.
    static func configuration(_ files: TLSFiles) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificateChainPath)
        } catch {
            throw TLSError(path: files.certificateChainPath, reason: "not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw TLSError(path: files.certificateChainPath, reason: "no certificate in the file") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        } catch {
            throw TLSError(path: files.privateKeyPath, reason: "not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
    #endif
}

/// A TLS file that cannot be used; one line for the operator.
public struct TLSError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "TLS: \(path): \(reason)" }
}

#if TLS
/// Puts the TLS handler first, after the wrapped channel's own setup. Hummingbird's
/// `TLSChannel` adds it before: handlers the wrapped channel then places first (the
/// request-head deadline) would sit outside TLS, see ciphertext, and the deadline, which
/// leaves the pipeline on the first write, stalled the handshake.
struct TLSFirstChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let context: NIOSSLContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // The base setup completes on the event loop before the first read, so no plaintext
        // handler ever sees a byte before TLS is in place.
        base.setup(channel: channel, logger: logger).flatMapThrowing { [context] value in
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
#endif
