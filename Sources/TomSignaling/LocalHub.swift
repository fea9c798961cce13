import NIOCore
import OrderedCollections

/// The seed's hub: the legacy server's whole state, in memory, owned by one actor.
///
/// Behaviour is the original's (see Docs/legacy-protocol.md) with its defects fixed:
/// a nodeId belongs to the newest socket that registered it, and only that socket's close
/// removes it; a socket that re-registers under a new nodeId gives up the old one.
public actor LocalHub: SignalingHub {
    private struct Registration {
        var participant: Participant
        var session: ClientSession
        /// From `registrationClock`; kept across takeovers, like the list position.
        var registeredAt: Int64
    }

    /// Registration order is the participants-list order; like a JavaScript Map, updating an
    /// existing nodeId keeps its place.
    private var registrations: OrderedDictionary<String, Registration> = [:]
    private var nodeIdBySession: [ClientSession: String] = [:]
    private var participantsMessage: ByteBuffer?
    private var participantsPacer: ParticipantsPacer
    /// Set once a degrading seed handed its clients to another hub; calls still arriving
    /// here (already queued when the server switched hubs) go on to it, in order.
    private var successor: (any SignalingHub)?

    private let metrics: SignalingMetrics

    /// 32 MiB of participants lists a second, 64 MiB at once. A list to everyone costs
    /// N x (about 150 bytes x N): 60 KB with 20 clients, 15 MB with 1,000. Only a join storm
    /// on a large seed gets there, and there merging is what keeps the seed up
    /// (Docs/security.md, "Abuse limits").
    public static let defaultParticipantsBudget = RateLimit(perSecond: 32 * 1024 * 1024, burst: 64 * 1024 * 1024)

    private let registrationClock: @Sendable () -> Int64

    /// - Parameter coalesceParticipants: zero sends a participants list on every change, as the
    ///   original did; a positive window sends one list per window after a burst of changes.
    /// - Parameter participantsBudget: list bytes (size times recipients) per second before
    ///   changes share one list (`ParticipantsPacer`).
    /// - Parameter registrationClock: stamps registrations (microseconds since the epoch in
    ///   tom-node), so a degrading seed hands its clients over in their true network order.
    public init(
        metrics: SignalingMetrics = SignalingMetrics(),
        coalesceParticipants: Duration = .zero,
        participantsBudget: RateLimit = LocalHub.defaultParticipantsBudget,
        registrationClock: @escaping @Sendable () -> Int64 = { 0 }
    ) {
        self.metrics = metrics
        self.participantsPacer = ParticipantsPacer(coalesceWindow: coalesceParticipants, budget: participantsBudget)
        self.registrationClock = registrationClock
    }

    public func receive(_ request: LegacyRequest, from session: ClientSession) async {
        if let successor {
            await successor.receive(request, from: session)
            return
        }
        switch request {
        case .register(let participant):
            register(participant, session: session)
        case .signal(let target, let message):
            relay(message, to: target, from: session)
        case .heartbeat:
            guard let nodeId = nodeIdBySession[session] else { return }
            broadcast(LegacyWire.heartbeat(from: nodeId), type: "heartbeat", except: session)
        case .roleAssign(let nodeIdJSON, let rolesJSON):
            let message = LegacyWire.roleAssign(nodeIdJSON: nodeIdJSON, rolesJSON: rolesJSON, from: nodeIdBySession[session])
            broadcast(message, type: "role-assign", except: nil)
        case .ignored, .rejected:
            break
        }
    }

    public func disconnected(_ session: ClientSession) async {
        if let successor {
            await successor.disconnected(session)
            return
        }
        guard let nodeId = nodeIdBySession.removeValue(forKey: session) else { return }
        unregister(nodeId, ownedBy: session)
    }

    public func snapshot() async -> HubSnapshot {
        if let successor { return await successor.snapshot() }
        return HubSnapshot(registeredParticipants: registrations.count)
    }

    /// Gives every registration, in registration order, to the hub `makeSuccessor` builds,
    /// and from then on forwards every call to it. Nothing is sent to any client: their
    /// sockets stay open and their state moves as it is.
    public func handOver<Successor: SignalingHub>(
        to makeSuccessor: @Sendable ([HandedOverRegistration]) -> Successor
    ) -> Successor {
        let successor = makeSuccessor(registrations.values.map {
            HandedOverRegistration(participant: $0.participant, session: $0.session, registeredAt: $0.registeredAt)
        })
        self.successor = successor
        registrations.removeAll()
        nodeIdBySession.removeAll()
        participantsMessage = nil
        return successor
    }

    /// Participants in registration order (for tests and the status page).
    public func participants() -> [Participant] {
        registrations.values.map(\.participant)
    }

    // MARK: - Rules

    private func register(_ participant: Participant, session: ClientSession) {
        if let previous = nodeIdBySession[session], previous != participant.nodeId {
            unregister(previous, ownedBy: session)
        }
        if let holder = registrations[participant.nodeId]?.session, holder !== session {
            // The newer socket takes the nodeId over; the older one no longer owns anything.
            nodeIdBySession[holder] = nil
        }
        let registeredAt = registrations[participant.nodeId]?.registeredAt ?? registrationClock()
        registrations[participant.nodeId] = Registration(participant: participant, session: session, registeredAt: registeredAt)
        nodeIdBySession[session] = participant.nodeId
        broadcast(LegacyWire.presence(.join, participant), type: "presence", except: session)
        participantsChanged(registrant: session)
    }

    private func unregister(_ nodeId: String, ownedBy session: ClientSession) {
        guard let registration = registrations[nodeId], registration.session === session else { return }
        registrations.removeValue(forKey: nodeId)
        broadcast(LegacyWire.presence(.leave, registration.participant), type: "presence", except: session)
        participantsChanged()
    }

    private func relay(_ message: ByteBuffer, to target: String, from sender: ClientSession) {
        guard let recipient = registrations[target]?.session, recipient.send(message) == .queued else {
            sender.reply(.peerNotFound, metrics: metrics)
            return
        }
        metrics.countOut(type: "signal", messages: 1, bytes: message.readableBytes)
    }

    // MARK: - Participants lists

    private func participantsChanged(registrant: ClientSession? = nil) {
        participantsMessage = nil
        metrics.registeredParticipants.record(registrations.count)
        guard !registrations.isEmpty else { return }
        switch participantsPacer.changed(now: .now, cost: { currentParticipantsMessage().readableBytes * registrations.count }) {
        case .sendNow:
            sendParticipants()
        case .hold(let coalesced, let flushAt):
            if coalesced {
                metrics.participantsCoalesced.increment()
                let message = currentParticipantsMessage()
                if let registrant, registrant.send(message, isSnapshot: true) == .queued {
                    metrics.countOut(type: "participants", messages: 1, bytes: message.readableBytes)
                }
            }
            guard let flushAt else { return }
            Task {
                try? await Task.sleep(until: flushAt, clock: .continuous)
                self.flushParticipants()
            }
        }
    }

    private func currentParticipantsMessage() -> ByteBuffer {
        let message = participantsMessage ?? LegacyWire.participants(registrations.values.lazy.map(\.participant))
        participantsMessage = message
        return message
    }

    private func flushParticipants() {
        let sending = successor == nil && !registrations.isEmpty
        participantsPacer.flushing(cost: sending ? currentParticipantsMessage().readableBytes * registrations.count : 0, now: .now)
        if sending { sendParticipants() }
    }

    private func sendParticipants() {
        guard !registrations.isEmpty else { return }
        let message = currentParticipantsMessage()
        broadcast(message, type: "participants", except: nil, isSnapshot: true)
    }

    /// Sends the same bytes to every registered client (but `except`); the buffer's storage
    /// is shared, never copied per recipient.
    private func broadcast(_ message: ByteBuffer, type: String, except excluded: ClientSession?, isSnapshot: Bool = false) {
        var sent = 0
        for registration in registrations.values where registration.session !== excluded {
            if registration.session.send(message, isSnapshot: isSnapshot) == .queued { sent += 1 }
        }
        metrics.countOut(type: type, messages: sent, bytes: sent * message.readableBytes)
    }
}

/// One client a degrading seed hands to its successor hub.
public struct HandedOverRegistration: Sendable {
    public var participant: Participant
    public var session: ClientSession
    /// When the seed took the registration, by its `registrationClock`.
    public var registeredAt: Int64

    public init(participant: Participant, session: ClientSession, registeredAt: Int64) {
        self.participant = participant
        self.session = session
        self.registeredAt = registeredAt
    }
}
