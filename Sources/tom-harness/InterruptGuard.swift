import Dispatch
import Foundation
import Glibc

/// Ctrl-C or a CI timeout (SIGINT, SIGTERM) must not leave nodes behind: while this guard is
/// alive those signals kill the nodes and end the harness with 130.
final class InterruptGuard {
    private let sources: [any DispatchSourceSignal]

    init(nodes: [NodeProcess], workDirectory: String) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                for node in nodes { node.signal(SIGKILL) }
                FileHandle.standardError.write(Data("tom-harness: interrupted; nodes killed, logs in \(workDirectory)\n".utf8))
                exit(130)
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
