import Logging
import NIOCore
import TomDHT
import TomDHTNIO
import TomGateway
import TomWebSocketClient

/// Everything a gateway does besides answering its own clients: it announces itself under
/// the topic, puts its roster pages in the DHT, finds the other members, dials them, and
/// pulls their rosters from the DHT to repair any push a link lost.
public actor GatewayRuntime {
    /// The WebSocket path of the gateway-link endpoint.
    public static let linkPath = GatewayEndpoint.linkPath

    public nonisolated let hub: MeshHub
    private let driver: DHTDriver
    private let key: ItemSigningKey
    private let topic: Topic
    private let advertisedPort: Int
    private let settings: GatewaySettings
    private let linkSettings: LinkSession.Settings
    private let logger: Logger

    /// Endpoints being dialled or linked from this side.
    private var dialling: Set<GatewayEndpoint> = []
    /// Endpoints that turned out to be this gateway.
    private var ownEndpoints: Set<GatewayEndpoint> = []
    /// Endpoint -> the key found there, so a linked gateway is not dialled again.
    private var keyAt: [GatewayEndpoint: GatewayKey] = [:]
    private var pendingPublication: [[UInt8]: MutableItem] = [:]
    private var publicationScheduled = false
    /// The newest `seq` handed to the DHT per page: an unstored page that a newer one has
    /// superseded is not tried again (nodes holding the newer one refuse it for good).
    private var newestPublished: [[UInt8]: Int64] = [:]

    public init(
        hub: MeshHub,
        driver: DHTDriver,
        key: ItemSigningKey,
        topic: Topic,
        advertisedPort: Int,
        settings: GatewaySettings = GatewaySettings(),
        linkSettings: LinkSession.Settings = LinkSession.Settings(),
        logger: Logger
    ) {
        self.hub = hub
        self.driver = driver
        self.key = key
        self.topic = topic
        self.advertisedPort = advertisedPort
        self.settings = settings
        self.linkSettings = linkSettings
        self.logger = logger
    }

    /// Runs the announce, republish and refresh loops until the task is cancelled.
    public func run() async {
        schedulePublication(await hub.ownItems())
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.announceLoop() }
            group.addTask { await self.every(self.settings.republishInterval, startNow: false) { await self.republish() } }
            group.addTask { await self.every(self.settings.refreshInterval) { await self.refresh() } }
            await group.waitForAll()
        }
    }

    /// Serves a link someone dialled to our `/tom/link`.
    public nonisolated func accept(frames: some AsyncSequence<[UInt8], any Error>, transport: LinkTransport) async {
        do {
            let peer = try await session.accept(frames: frames, over: transport)
            logger.debug("incoming gateway link ended", metadata: ["gateway": "\(peer)"])
        } catch {
            logger.info("incoming gateway link refused", metadata: ["remote": "\(transport.remote)", "error": "\(error)"])
        }
    }

    /// Items the hub signed: pushed already, now queued for the DHT.
    public nonisolated func publish(_ items: [MutableItem]) {
        Task { await self.schedulePublication(items) }
    }

    /// Leaves the topic cleanly: a withdrawn manifest to the links and the DHT.
    public func withdraw() async {
        let item = await hub.withdraw()
        do {
            _ = try await driver.putSigned(item)
        } catch {
            logger.info("could not put the withdrawal in the DHT", metadata: ["error": "\(error)"])
        }
    }

    private nonisolated var session: LinkSession {
        LinkSession(hub: hub, key: key, topic: topic, settings: linkSettings, logger: logger)
    }

    // MARK: - Loops

    /// Runs `body` every `interval`, start to start: a slow cycle (lookups at a lossy time)
    /// must not stretch the period, which bounds how long a lost push stays lost.
    private func every(_ interval: Duration, startNow: Bool = true, _ body: @Sendable () async -> Void) async {
        if !startNow { try? await Task.sleep(for: interval) }
        while !Task.isCancelled {
            let started = ContinuousClock.now
            await body()
            try? await Task.sleep(until: started + interval, clock: .continuous)
        }
    }

    /// Announces every `announceInterval`, or every `refreshInterval` while no node took the
    /// announce (the DHT was still empty: right after start, or cut off).
    private func announceLoop() async {
        while !Task.isCancelled {
            var stored = 0
            do {
                hub.gatewayMetrics.dhtOperations["announce"]?.increment()
                let summary = try await driver.announce(topic.hash, port: UInt16(advertisedPort))
                stored = summary.stored
                logger.debug("announced under the topic", metadata: ["stored": "\(stored)", "attempted": "\(summary.attempted)"])
            } catch {
                logger.info("announce failed", metadata: ["error": "\(error)"])
            }
            do {
                hub.gatewayMetrics.dhtOperations["announce"]?.increment()
                let summary = try await driver.announceSignedPeer(topic.hash, key: key)
                stored = min(stored, summary.stored)
                logger.debug("announced as a signed peer", metadata: ["stored": "\(summary.stored)"])
            } catch {
                stored = 0
                logger.info("signed-peer announce failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: stored > 0 ? settings.announceInterval : settings.refreshInterval)
        }
    }

    private func republish() async {
        schedulePublication(await hub.ownItems())
    }

    /// Finds members and dials the ones not linked, then checks every linked roster
    /// against the DHT.
    private func refresh() async {
        var endpoints = settings.staticGateways.compactMap { GatewayEndpoint($0) }
        do {
            hub.gatewayMetrics.dhtOperations["lookup"]?.increment()
            let result = try await driver.getPeers(topic.hash)
            let stored = try await driver.storedPeers(for: topic.hash)
            endpoints += (result.peers + stored).map { GatewayEndpoint(host: "\($0.ip)", port: Int($0.port)) }
        } catch {
            logger.debug("member lookup failed", metadata: ["error": "\(error)"])
        }
        let linked = Set(await hub.linkedGateways())
        endpoints += await signedMembers(notIn: linked)
        for endpoint in Set(endpoints) where !ownEndpoints.contains(endpoint) && !dialling.contains(endpoint) {
            if let key = keyAt[endpoint], linked.contains(key) { continue }
            guard dialling.count < settings.maxConcurrentDials else { break }
            dial(endpoint)
        }
        await pullRosters()
    }

    /// Members found as signed peers: a record names a key only, so where that gateway
    /// serves comes from its signed manifest in the DHT.
    private func signedMembers(notIn linked: Set<GatewayKey>) async -> [GatewayEndpoint] {
        let peers: [SignedPeer]
        do {
            hub.gatewayMetrics.dhtOperations["lookup"]?.increment()
            peers = try await driver.getSignedPeers(topic.hash).signedPeers
        } catch {
            logger.debug("signed-peer lookup failed", metadata: ["error": "\(error)"])
            return []
        }
        var endpoints: [GatewayEndpoint] = []
        for peer in peers {
            guard let member = GatewayKey(peer.publicKey), member != hub.ownKey, !linked.contains(member) else { continue }
            hub.gatewayMetrics.dhtOperations["get"]?.increment()
            guard let result = try? await driver.getMutable(publicKey: member.bytes, salt: topic.rosterSalt(page: 0), newerThan: nil),
                  case .mutable(let item)? = result.item,
                  case .manifest(let manifest)? = try? RosterPage.decode(item.value, page: 0)
            else { continue }
            endpoints += manifest.endpoints.compactMap { GatewayEndpoint(url: $0) }
        }
        return endpoints
    }

    /// Checks every linked member, several at once. Each member on its own: its manifest,
    /// accepted as soon as it arrives, then at once every page if the manifest changed, so a
    /// repair takes one cycle and a slow member does not hold the others back.
    private func pullRosters() async {
        let members = await hub.refreshPlan()
        _ = await concurrently(members, limit: settings.maxConcurrentDHTOperations) { member -> Void? in
            await self.pull(member.key, pages: member.pages)
            if let pages = await self.hub.pagesToPull(of: member.key), pages != [0] {
                await self.pull(member.key, pages: pages)
            }
            return nil
        }
    }

    private func pull(_ member: GatewayKey, pages: [Int]) async {
        var requests: [(member: GatewayKey, page: Int, held: Int64?)] = []
        for page in pages { requests.append((member, page, await hub.heldSequenceNumber(of: member, page: page))) }
        let items = await concurrently(requests, limit: 4) { [driver, topic, hub, logger] request -> MutableItem? in
            hub.gatewayMetrics.dhtOperations["get"]?.increment()
            do {
                let result = try await driver.getMutable(
                    publicKey: request.member.bytes, salt: topic.rosterSalt(page: request.page), newerThan: request.held)
                if case .mutable(let item)? = result.item { return item }
            } catch {
                logger.debug("roster pull failed", metadata: ["gateway": "\(request.member)", "page": "\(request.page)", "error": "\(error)"])
            }
            return nil
        }
        if !items.isEmpty { await hub.acceptPulled(items) }
    }

    /// Runs `operation` on every input with at most `limit` in flight; the non-nil results,
    /// in no particular order.
    private nonisolated func concurrently<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], limit: Int, _ operation: @escaping @Sendable (Input) async -> Output?
    ) async -> [Output] {
        await withTaskGroup(of: Output?.self) { group in
            var outputs: [Output] = []
            var next = inputs.startIndex
            while next < inputs.endIndex, next - inputs.startIndex < max(1, limit) {
                let input = inputs[next]
                group.addTask { await operation(input) }
                next += 1
            }
            for await output in group {
                if let output { outputs.append(output) }
                if next < inputs.endIndex {
                    let input = inputs[next]
                    group.addTask { await operation(input) }
                    next += 1
                }
            }
            return outputs
        }
    }

    // MARK: - Dialling

    private func dial(_ endpoint: GatewayEndpoint) {
        dialling.insert(endpoint)
        Task {
            let outcome = await self.link(to: endpoint)
            self.dialEnded(endpoint, outcome: outcome)
        }
    }

    private enum DialOutcome {
        case linked(GatewayKey)
        case ownEndpoint
        case failed
    }

    private nonisolated func link(to endpoint: GatewayEndpoint) async -> DialOutcome {
        let connection: WebSocketConnection
        do {
            connection = try await WebSocketClient.connect(
                host: endpoint.host, port: endpoint.port, path: GatewayEndpoint.linkPath,
                maxFrameSize: linkSettings.maxFrameBytes, handshakeTimeout: settings.dialTimeout)
        } catch {
            logger.debug("gateway dial failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            return .failed
        }
        let (frames, transport) = connection.gatewayLink(remote: endpoint.description)
        do {
            return .linked(try await session.initiate(frames: frames, over: transport))
        } catch LinkSession.Failure.ownKey {
            return .ownEndpoint
        } catch {
            logger.debug("gateway link failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            return .failed
        }
    }

    private func dialEnded(_ endpoint: GatewayEndpoint, outcome: DialOutcome) {
        dialling.remove(endpoint)
        switch outcome {
        case .linked(let key): keyAt[endpoint] = key
        case .ownEndpoint: ownEndpoints.insert(endpoint)
        case .failed: break
        }
    }

    // MARK: - DHT publication

    private func schedulePublication(_ items: [MutableItem]) {
        for item in items where !isSuperseded(item) && (pendingPublication[item.salt]?.sequenceNumber ?? .min) < item.sequenceNumber {
            pendingPublication[item.salt] = item
            newestPublished[item.salt] = item.sequenceNumber
        }
        guard !publicationScheduled, !pendingPublication.isEmpty else { return }
        publicationScheduled = true
        Task {
            try? await Task.sleep(for: self.settings.publishDelay)
            await self.putPending()
        }
    }

    /// Puts the entry pages at once, then the manifest: a reader that sees the new manifest
    /// finds the pages it names already stored. A page that no node stored is tried again
    /// before the manifest goes out, then after a refresh interval, unless a newer version of
    /// it went out meanwhile. Publications may overlap: a node refuses an older `seq` than it
    /// holds, so a late older page changes nothing.
    private func putPending() async {
        let manifestSalt = topic.rosterSalt(page: 0)
        let items = Array(pendingPublication.values)
        pendingPublication.removeAll()
        publicationScheduled = false
        let pages = items.filter { $0.salt != manifestSalt }
        var unstored = await put(pages).filter { !isSuperseded($0) }
        if !unstored.isEmpty { unstored = await put(unstored).filter { !isSuperseded($0) } }
        _ = await put(items.filter { $0.salt == manifestSalt })
        guard !unstored.isEmpty else { return }
        // Nobody took them twice (loss, or no DHT yet): again after a refresh interval.
        Task {
            try? await Task.sleep(for: self.settings.refreshInterval)
            self.schedulePublication(unstored)
        }
    }

    private func isSuperseded(_ item: MutableItem) -> Bool {
        (newestPublished[item.salt] ?? .min) > item.sequenceNumber
    }

    /// Puts every item, several at once; the ones no node stored.
    private func put(_ items: [MutableItem]) async -> [MutableItem] {
        await concurrently(items, limit: settings.maxConcurrentDHTOperations) { [driver, hub, logger] item -> MutableItem? in
            hub.gatewayMetrics.dhtOperations["put"]?.increment()
            do {
                if try await driver.putSigned(item).stored > 0 { return nil }
            } catch {
                logger.debug("roster put failed", metadata: ["error": "\(error)"])
            }
            return item
        }
    }
}
