import TomDHT

/// Keeping our own data in the DHT: stored items expire 2 hours after their last put and
/// announced peers 30 minutes after their last announce, so what this process publishes
/// is stored again on the `configuration.republishing` schedule (items hourly, announces
/// every 15 minutes, a failed round retried after 2 minutes) until `stopPublishing` or
/// shutdown. Mutable items are re-put unchanged (same `seq` and signature, which BEP 44
/// accepts as a refresh); one superseded by a newer `seq` from another holder of the key
/// is dropped. Nothing is persisted: a restarted process publishes again itself.
extension DHTDriver {
    /// Why `keepPublished` refused.
    public struct RepublishLimitReached: Error, CustomStringConvertible {
        public let limit: Int
        public var description: String { "already keeping \(limit) publications (configuration.republishing.maxPublications)" }
    }

    /// Keeps `publication` stored, its next round one interval from now (call it right after
    /// storing it, as `putImmutable(_:keepPublished:)` and the others do). Replaces the
    /// publication with the same key, such as an older `seq` of the same mutable item.
    public func keepPublished(_ publication: Publication) async throws {
        let core = self.core
        let settings = configuration.republishing
        let kept = try await eventLoop.submit { () throws -> Bool in
            let state = core.value
            guard !state.isShutDown else { throw DHTDriverError.shutDown }
            let republisher = state.republisher ?? Republisher(core: state, settings: settings)
            state.republisher = republisher
            return republisher.keep(publication)
        }.get()
        if !kept { throw RepublishLimitReached(limit: settings.maxPublications) }
    }

    /// Stops republishing what has `key`; it expires from the DHT on its own.
    public func stopPublishing(_ key: Publication.Key) async throws {
        let core = self.core
        try await eventLoop.submit { core.value.republisher?.forget(key) }.get()
    }

    /// What is being kept published, the next round first.
    public func keptPublications() async throws -> [Publication] {
        let core = self.core
        return try await eventLoop.submit { core.value.republisher?.publications ?? [] }.get()
    }
}
