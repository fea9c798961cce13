import Logging
import NIOCore
import OrderedCollections
import TomDHT
import TomSignaling

/// The peer's hub: legacy semantics across every gateway of a topic.
///
/// Its own clients live here as in `LocalHub`; everyone else's come from the verified roster
/// items of the gateways it is linked to (`GatewayDirectory`). A local change re-signs the
/// affected roster pages, pushes them over every link and hands them to the DHT publisher;
/// a remote change arrives as such items (pushed, or pulled from the DHT) and becomes
/// `presence` and `participants` messages for the local clients. Signals to clients of other
/// gateways travel over the links; heartbeats and role-assigns reach every gateway.
///
/// A gateway's roster is shown while a link to it is up, and for `linkGrace` after the link
/// drops (time to reconnect). After that its clients leave, each with a `presence` leave.
public actor MeshHub: SignalingHub {
    public struct Settings: Sendable {
        public var linkGrace: Duration = .seconds(5)
        /// Links beyond this many are refused: anyone can make a key, so a flood of
        /// authenticated but fake gateways must not grow the hub without bound.
        public var maxLinks = 256
        /// How far ahead of our clock another gateway's registration times may be.
        public var clockTolerance: Duration = .seconds(60)
        /// A client gone from another gateway's roster stays listed this long before its
        /// leave is announced: a nodeId moving between gateways is released by one roster
        /// and claimed by another, and the two pushes can arrive in either order.
        public var leaveDelay: Duration = .milliseconds(300)
        /// Forwarded signals a link may hold unconfirmed; a gateway that stops confirming
        /// must not grow the ledger without bound, so its link is cut past this.
        public var maxUnconfirmedSignals = 65_536
        /// Zero sends a participants list on every change, as the original server did.
        public var coalesceParticipants: Duration = .zero
        /// List bytes (size times local recipients) per second before changes share one list,
        /// as on the seed (`ParticipantsPacer`).
        public var participantsBudget = LocalHub.defaultParticipantsBudget
        public init() {}
    }

    private struct Registration {
        var entry: RosterEntry
        var session: ClientSession
    }

    public nonisolated let topic: Topic
    public nonisolated let ownKey: GatewayKey
    private let settings: Settings
    private let metrics: SignalingMetrics
    public nonisolated let gatewayMetrics: GatewayMetrics
    private let clock: @Sendable () -> Int64
    private let publishToDHT: @Sendable ([MutableItem]) -> Void
    private let logger: Logger

    private var registrations: OrderedDictionary<String, Registration> = [:]
    private var nodeIdBySession: [ClientSession: String] = [:]
    /// Clients whose signals went to another gateway, for a `notFound` answer.
    private var signalSenders: [UInt64: ClientSession] = [:]
    /// Per link: the signals we forwarded and the receiver has not confirmed yet.
    private var signalsInFlight: [ObjectIdentifier: SignalsInFlight] = [:]
    /// Per link: how many signals the other gateway sent us, confirmed back after each one.
    private var signalsHandled: [ObjectIdentifier: UInt64] = [:]
    private var lastRegistrationTime: Int64 = 0

    private var publisher: RosterPublisher
    private var directory: GatewayDirectory
    private var links: [GatewayKey: GatewayLink] = [:]
    /// Gateways whose link dropped, shown until their grace period ends.
    private var inGrace: [GatewayKey: UInt64] = [:]
    private var graceGeneration: UInt64 = 0
    private var view = ParticipantView() {
        didSet { participantsMessage = nil }
    }
    private var participantsMessage: ByteBuffer?
    private var participantsPacer: ParticipantsPacer
    /// Remote entries gone from their roster, still listed until `leaveDelay` ends.
    private var lingering: [String: (entry: HostedEntry, generation: UInt64)] = [:]
    private var lingerGeneration: UInt64 = 0

    public init(
        key: ItemSigningKey,
        topic: Topic,
        endpoints: [String],
        settings: Settings = Settings(),
        metrics: SignalingMetrics = SignalingMetrics(),
        gatewayMetrics: GatewayMetrics = GatewayMetrics(),
        clock: @escaping @Sendable () -> Int64,
        publishToDHT: @escaping @Sendable ([MutableItem]) -> Void = { _ in },
        adopting adopted: [HandedOverRegistration] = [],
        logger: Logger = Logger(label: "tom.gateway")
    ) {
        self.topic = topic
        self.ownKey = GatewayKey(key.publicKey)!
        self.settings = settings
        self.participantsPacer = ParticipantsPacer(coalesceWindow: settings.coalesceParticipants, budget: settings.participantsBudget)
        self.metrics = metrics
        self.gatewayMetrics = gatewayMetrics
        self.clock = clock
        self.publishToDHT = publishToDHT
        self.logger = logger
        let now = clock()
        var publisher = RosterPublisher(topic: topic, key: key, endpoints: endpoints, now: now)
        var registrations: OrderedDictionary<String, Registration> = [:]
        var nodeIdBySession: [ClientSession: String] = [:]
        var lastTime: Int64 = 0
        // A degrading seed hands over its clients in registration order with their times
        // (a seed without a clock gives zeros: then the order alone is kept).
        for adoptedClient in adopted {
            let time = max(adoptedClient.registeredAt, lastTime + 1)
            lastTime = time
            let entry = RosterEntry(participant: adoptedClient.participant, registeredAt: time)
            registrations[entry.nodeId] = Registration(entry: entry, session: adoptedClient.session)
            nodeIdBySession[adoptedClient.session] = entry.nodeId
            if RosterPublisher.canPublish(entry) { _ = publisher.upsert(entry, now: now) }
        }
        self.lastRegistrationTime = lastTime
        self.publisher = publisher
        self.registrations = registrations
        self.nodeIdBySession = nodeIdBySession
        self.directory = GatewayDirectory(topic: topic, ownKey: GatewayKey(key.publicKey)!)
        self.view = ParticipantView(sources: [(GatewayKey(key.publicKey)!, registrations.values.map(\.entry))])
    }

    // MARK: - SignalingHub

    public func receive(_ request: LegacyRequest, from session: ClientSession) {
        switch request {
        case .register(let participant):
            register(participant, session: session)
        case .signal(let target, let message):
            relay(message, to: target, from: session)
        case .heartbeat:
            guard let nodeId = nodeIdBySession[session] else { return }
            let message = LegacyWire.heartbeat(from: nodeId)
            broadcastLocally(message, type: "heartbeat", except: session)
            sendToLinks(.broadcast(message: Array(buffer: message)))
        case .roleAssign(let nodeIdJSON, let rolesJSON):
            let message = LegacyWire.roleAssign(nodeIdJSON: nodeIdJSON, rolesJSON: rolesJSON, from: nodeIdBySession[session])
            broadcastLocally(message, type: "role-assign", except: nil)
            sendToLinks(.broadcast(message: Array(buffer: message)))
            rememberRoles(nodeIdJSON: nodeIdJSON, rolesJSON: rolesJSON)
        case .ignored, .rejected:
            break
        }
    }

    public func disconnected(_ session: ClientSession) {
        signalSenders[session.id] = nil
        guard let nodeId = nodeIdBySession.removeValue(forKey: session) else { return }
        unregister(nodeId, ownedBy: session)
    }

    public func snapshot() -> HubSnapshot {
        HubSnapshot(registeredParticipants: view.ordered.count, gatewayLinks: links.count)
    }

    /// The network-wide participants list, as a local client would receive it.
    public func participants() -> [Participant] {
        view.participants
    }

    /// The URLs this gateway advertises in its manifest (known once the server listens).
    public func setEndpoints(_ endpoints: [String]) {
        publish(publisher.setEndpoints(endpoints, now: clock()))
    }

    /// Gateways currently linked, for /status.
    public func linkedGateways() -> [GatewayKey] {
        links.keys.sorted()
    }

    // MARK: - Local clients

    private func register(_ participant: Participant, session: ClientSession) {
        if let previous = nodeIdBySession[session], previous != participant.nodeId {
            unregister(previous, ownedBy: session)
        }
        let existing = registrations[participant.nodeId]
        if let holder = existing?.session, holder !== session {
            nodeIdBySession[holder] = nil
        }
        var entry = RosterEntry(participant: participant, registeredAt: existing?.entry.registeredAt ?? nextRegistrationTime())
        entry.roles = existing?.entry.roles
        registrations[participant.nodeId] = Registration(entry: entry, session: session)
        nodeIdBySession[session] = participant.nodeId
        broadcastLocally(LegacyWire.presence(.join, participant), type: "presence", except: session)
        publish(publisher.upsert(entry, now: clock()))
        refreshView(announceChanges: false)
        participantsChanged(registrant: session)
    }

    private func unregister(_ nodeId: String, ownedBy session: ClientSession) {
        guard let registration = registrations[nodeId], registration.session === session else { return }
        registrations.removeValue(forKey: nodeId)
        broadcastLocally(LegacyWire.presence(.leave, registration.entry.participant), type: "presence", except: session)
        publish(publisher.remove(nodeId: nodeId, now: clock()))
        refreshView(announceChanges: false)
        participantsChanged()
    }

    private func relay(_ message: ByteBuffer, to target: String, from sender: ClientSession) {
        if let recipient = registrations[target]?.session {
            guard recipient.send(message) == .queued else {
                sender.reply(.peerNotFound, metrics: metrics)
                return
            }
            metrics.countOut(type: "signal", messages: 1, bytes: message.readableBytes)
            return
        }
        guard let host = view.byNodeId[target]?.host, let link = links[host] else {
            sender.reply(.peerNotFound, metrics: metrics)
            return
        }
        if signalsInFlight[ObjectIdentifier(link), default: SignalsInFlight()].count >= settings.maxUnconfirmedSignals {
            logger.warning("gateway link cut: it stopped confirming signals", metadata: ["gateway": "\(link.key)"])
            sender.reply(.peerNotFound, metrics: metrics)
            link.close()
            return
        }
        guard link.send(.signal(to: target, message: Array(buffer: message), replyTo: sender.id)) else {
            sender.reply(.peerNotFound, metrics: metrics)
            return
        }
        signalSenders[sender.id] = sender
        signalsInFlight[ObjectIdentifier(link), default: SignalsInFlight()].forwarded(replyTo: sender.id)
        gatewayMetrics.signalsForwarded.increment()
    }

    /// A link is gone (closed, cut, or replaced): whatever it had not confirmed may be lost.
    private func forgetSignals(of link: GatewayLink) {
        signalsHandled[ObjectIdentifier(link)] = nil
        guard let unconfirmed = signalsInFlight.removeValue(forKey: ObjectIdentifier(link))?.unconfirmed else { return }
        for sender in unconfirmed {
            signalSenders[sender]?.reply(.peerNotFound, metrics: metrics)
        }
        gatewayMetrics.signalsUnconfirmed.increment(by: unconfirmed.count)
    }

    private func rememberRoles(nodeIdJSON: ByteBuffer, rolesJSON: ByteBuffer) {
        // Only a plain JSON string can name a registered client.
        let raw = Array(buffer: nodeIdJSON)
        guard raw.count >= 2, raw.first == 0x22, raw.last == 0x22, !raw.contains(0x5c) else { return }
        let nodeId = String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
        guard var registration = registrations[nodeId] else { return }
        registration.entry.roles = String(buffer: rolesJSON)
        registrations[nodeId] = registration
        publish(publisher.upsert(registration.entry, now: clock()))
    }

    private func nextRegistrationTime() -> Int64 {
        lastRegistrationTime = max(clock(), lastRegistrationTime + 1)
        return lastRegistrationTime
    }

    // MARK: - Links

    /// Admits an authenticated link. Of two links between the same pair (both dialled at
    /// once), both ends keep the one opened by the smaller key; a link that loses is refused.
    public func linkUp(_ link: GatewayLink) -> Bool {
        if links[link.key] == nil, links.count >= settings.maxLinks {
            logger.warning("gateway link refused: link limit reached", metadata: ["limit": "\(settings.maxLinks)"])
            return false
        }
        if let existing = links[link.key] {
            let initiator = link.weInitiated ? ownKey : link.key
            let preferred = initiator == min(ownKey, link.key)
            let existingInitiator = existing.weInitiated ? ownKey : existing.key
            if existingInitiator == min(ownKey, link.key), !preferred { return false }
            existing.close()
            forgetSignals(of: existing)
        }
        links[link.key] = link
        inGrace[link.key] = nil
        gatewayMetrics.linkedGateways.record(links.count)
        logger.info("gateway linked", metadata: ["gateway": "\(link.key)", "direction": "\(link.weInitiated ? "out" : "in")"])
        link.send(.items(publisher.currentItems))
        refreshView(announceChanges: true)
        return true
    }

    public func linkDown(_ link: GatewayLink, departed: Bool = false) {
        guard links[link.key] === link else { return }
        links[link.key] = nil
        forgetSignals(of: link)
        gatewayMetrics.linkedGateways.record(links.count)
        logger.info("gateway link closed", metadata: ["gateway": "\(link.key)", "departed": "\(departed)"])
        guard !departed, settings.linkGrace > .zero else {
            directory.forget(link.key)
            refreshView(announceChanges: true)
            return
        }
        graceGeneration += 1
        let generation = graceGeneration
        inGrace[link.key] = generation
        let key = link.key
        Task { [grace = settings.linkGrace] in
            try? await Task.sleep(for: grace)
            self.endGrace(of: key, generation: generation)
        }
    }

    private func endGrace(of key: GatewayKey, generation: UInt64) {
        guard inGrace[key] == generation else { return }
        inGrace[key] = nil
        // Its roster comes again, whole, with the next link; holding it meanwhile would let
        // every gateway ever seen grow the directory.
        directory.forget(key)
        refreshView(announceChanges: true)
    }

    public func received(_ message: LinkMessage, from link: GatewayLink) {
        guard links[link.key] === link else { return }
        switch message {
        case .items(let items):
            accept(items, pushed: true)
        case .signal(let target, let bytes, let replyTo):
            gatewayMetrics.signalsReceivedFromLinks.increment()
            let buffer = ByteBuffer(bytes: bytes)
            if let recipient = registrations[target]?.session, recipient.send(buffer) == .queued {
                metrics.countOut(type: "signal", messages: 1, bytes: buffer.readableBytes)
            } else {
                link.send(.notFound(replyTo: replyTo))
            }
            let handled = signalsHandled[ObjectIdentifier(link), default: 0] + 1
            signalsHandled[ObjectIdentifier(link)] = handled
            link.send(.signalsHandled(handled))
        case .notFound(let replyTo):
            signalSenders[replyTo]?.reply(.peerNotFound, metrics: metrics)
        case .signalsHandled(let count):
            signalsInFlight[ObjectIdentifier(link)]?.confirm(handled: count)
        case .broadcast(let bytes):
            // Only what a gateway itself would send its clients: a heartbeat or role-assign.
            let buffer = ByteBuffer(bytes: bytes)
            switch LegacyRequest.decode(buffer) {
            case .heartbeat: broadcastLocally(buffer, type: "heartbeat", except: nil)
            case .roleAssign: broadcastLocally(buffer, type: "role-assign", except: nil)
            default: gatewayMetrics.itemsRejected.increment()
            }
        case .bye:
            directory.forget(link.key)
            linkDown(link, departed: true)
        case .keepalive, .hello, .welcome, .proof:
            break
        }
    }

    // MARK: - Roster items

    /// Items pulled from the DHT by the gateway's refresh loop.
    public func acceptPulled(_ items: [MutableItem]) {
        accept(items, pushed: false)
    }

    /// What the refresh loop should fetch: the manifest of every linked gateway, and every
    /// page of one whose held pages do not match its manifest.
    public func refreshPlan() -> [(key: GatewayKey, pages: [Int])] {
        links.keys.sorted().compactMap { key in pagesToPull(of: key).map { (key, $0) } }
    }

    /// The pages of one linked gateway to fetch: the manifest while what we hold matches it,
    /// else every page. Nil once it is no longer linked.
    public func pagesToPull(of key: GatewayKey) -> [Int]? {
        guard links[key] != nil else { return nil }
        guard let roster = directory.roster(of: key), roster.isComplete else {
            return directory.roster(of: key)?.pagesToRefresh ?? [0]
        }
        return [0]
    }

    public func heldSequenceNumber(of key: GatewayKey, page: Int) -> Int64? {
        directory.roster(of: key)?.sequenceNumber(ofPage: page)
    }

    /// Our own current items, for the DHT publisher's periodic republish.
    public func ownItems() -> [MutableItem] {
        publisher.currentItems
    }

    /// Tells linked gateways and the DHT that this gateway is leaving.
    public func withdraw() -> MutableItem {
        let item = publisher.withdraw(now: clock())
        sendToLinks(.items([item]))
        sendToLinks(.bye)
        return item
    }

    private func accept(_ items: [MutableItem], pushed: Bool) {
        var changed = false
        for item in items {
            do {
                if case .accepted(let key) = try directory.accept(item) {
                    (pushed ? gatewayMetrics.itemsAcceptedPush : gatewayMetrics.itemsAcceptedPull).increment()
                    if directory.roster(of: key)?.manifest?.withdrawn == true {
                        directory.forget(key)
                        links[key]?.close()
                    }
                    changed = true
                }
            } catch {
                gatewayMetrics.itemsRejected.increment()
                logger.debug("roster item refused", metadata: ["error": "\(error)"])
            }
        }
        if changed { refreshView(announceChanges: true) }
    }

    // MARK: - The merged view

    /// Recomputes the network view. With `announceChanges`, remote joins and leaves become
    /// presence messages and a participants list for the local clients (local changes were
    /// announced by their own rules already). Local registrations that a newer registration
    /// elsewhere took over are released here.
    private func refreshView(announceChanges: Bool, expired: String? = nil) {
        var sources: [(host: GatewayKey, entries: [RosterEntry])] = [(ownKey, registrations.values.map(\.entry))]
        // A claim dated in the future would win every nodeId it names for good (the newest
        // registration wins), so entries beyond our clock plus a tolerance are ignored.
        let horizon = clock() + settings.clockTolerance.microseconds
        for key in links.keys.sorted() + inGrace.keys.sorted() {
            if let roster = directory.roster(of: key) {
                sources.append((key, roster.entries.filter { $0.registeredAt <= horizon }))
            }
        }
        let updated = withLingeringLeaves(ParticipantView(sources: sources), sources: sources, expired: expired)
        releaseTakenOver(by: updated)
        let (joined, left) = updated.changes(since: view)
        view = updated
        let local = registrations.count
        gatewayMetrics.localParticipants.record(local)
        gatewayMetrics.remoteParticipants.record(view.ordered.count - local)
        metrics.registeredParticipants.record(view.ordered.count)
        guard announceChanges else { return }
        let remoteJoins = joined.filter { $0.host != ownKey }
        let remoteLeaves = left.filter { $0.host != ownKey }
        for hosted in remoteJoins {
            broadcastLocally(LegacyWire.presence(.join, hosted.entry.participant), type: "presence", except: nil)
        }
        for hosted in remoteLeaves {
            broadcastLocally(LegacyWire.presence(.leave, hosted.entry.participant), type: "presence", except: nil)
        }
        if !remoteJoins.isEmpty || !remoteLeaves.isEmpty { participantsChanged() }
    }

    /// Keeps remote entries that just vanished in the view for `leaveDelay`; an entry that
    /// reappears meanwhile (at another gateway: a move) was never announced as leaving.
    private func withLingeringLeaves(
        _ fresh: ParticipantView, sources: [(host: GatewayKey, entries: [RosterEntry])], expired: String?
    ) -> ParticipantView {
        guard settings.leaveDelay > .zero else { return fresh }
        for nodeId in lingering.keys where fresh.byNodeId[nodeId] != nil {
            lingering[nodeId] = nil
        }
        for hosted in view.ordered where hosted.host != ownKey && fresh.byNodeId[hosted.entry.nodeId] == nil {
            guard lingering[hosted.entry.nodeId] == nil, hosted.entry.nodeId != expired else { continue }
            lingerGeneration += 1
            let generation = lingerGeneration
            lingering[hosted.entry.nodeId] = (hosted, generation)
            let nodeId = hosted.entry.nodeId
            Task { [delay = settings.leaveDelay] in
                try? await Task.sleep(for: delay)
                self.endLinger(of: nodeId, generation: generation)
            }
        }
        guard !lingering.isEmpty else { return fresh }
        let held = Dictionary(grouping: lingering.values.map(\.entry), by: \.host).map { ($0.key, $0.value.map(\.entry)) }
        return ParticipantView(sources: sources + held)
    }

    private func endLinger(of nodeId: String, generation: UInt64) {
        guard lingering[nodeId]?.generation == generation else { return }
        lingering[nodeId] = nil
        refreshView(announceChanges: true, expired: nodeId)
    }

    private func releaseTakenOver(by updated: ParticipantView) {
        for (nodeId, registration) in registrations where updated.byNodeId[nodeId]?.host != ownKey {
            registrations.removeValue(forKey: nodeId)
            nodeIdBySession[registration.session] = nil
            publish(publisher.remove(nodeId: nodeId, now: clock()))
            logger.debug("nodeId taken over by a newer registration elsewhere", metadata: ["node_id": "\(nodeId)"])
        }
    }

    // MARK: - Sending

    private func publish(_ items: [MutableItem]) {
        guard !items.isEmpty else { return }
        sendToLinks(.items(items))
        publishToDHT(items)
    }

    private func sendToLinks(_ message: LinkMessage) {
        for link in links.values { link.send(message) }
    }

    private func participantsChanged(registrant: ClientSession? = nil) {
        guard !registrations.isEmpty, !view.ordered.isEmpty else { return }
        switch participantsPacer.changed(now: .now, cost: { currentParticipantsMessage().readableBytes * registrations.count }) {
        case .sendNow:
            sendParticipants()
        case .hold(let coalesced, let flushAt):
            if coalesced {
                metrics.participantsCoalesced.increment()
                if let registrant { sendParticipants(to: registrant) }
            }
            guard let flushAt else { return }
            Task {
                try? await Task.sleep(until: flushAt, clock: .continuous)
                self.flushParticipants()
            }
        }
    }

    private func flushParticipants() {
        let sending = !registrations.isEmpty && !view.ordered.isEmpty
        participantsPacer.flushing(cost: sending ? currentParticipantsMessage().readableBytes * registrations.count : 0, now: .now)
        if sending { sendParticipants() }
    }

    private func currentParticipantsMessage() -> ByteBuffer {
        let message = participantsMessage ?? LegacyWire.participants(view.participants)
        participantsMessage = message
        return message
    }

    /// To every local client, or to `registrant` alone (its first list, past the budget).
    private func sendParticipants(to registrant: ClientSession? = nil) {
        let message = currentParticipantsMessage()
        let recipients: Int
        if let registrant {
            recipients = registrant.send(message, isSnapshot: true) == .queued ? 1 : 0
            metrics.countOut(type: "participants", messages: recipients, bytes: recipients * message.readableBytes)
        } else {
            recipients = broadcastLocally(message, type: "participants", except: nil, isSnapshot: true)
        }
        let local = view.ordered.count(where: { $0.host == ownKey })
        gatewayMetrics.localEntriesServed.increment(by: local * recipients)
        gatewayMetrics.remoteEntriesServed.increment(by: (view.ordered.count - local) * recipients)
    }

    @discardableResult
    private func broadcastLocally(_ message: ByteBuffer, type: String, except excluded: ClientSession?, isSnapshot: Bool = false) -> Int {
        var sent = 0
        for registration in registrations.values where registration.session !== excluded {
            if registration.session.send(message, isSnapshot: isSnapshot) == .queued { sent += 1 }
        }
        metrics.countOut(type: type, messages: sent, bytes: sent * message.readableBytes)
        return sent
    }
}

extension Duration {
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
