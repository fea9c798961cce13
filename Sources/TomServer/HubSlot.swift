import NIOConcurrencyHelpers
import TomSignaling

/// The hub the front end hands messages to, and the mode it serves. A degrading seed
/// replaces both under live connections; each message looks the hub up afresh, so the
/// switch takes effect at once.
final class HubSlot: Sendable {
    private struct State {
        var hub: any SignalingHub
        var mode: String
    }

    private let state: NIOLockedValueBox<State>

    init(_ hub: any SignalingHub, mode: String) {
        self.state = NIOLockedValueBox(State(hub: hub, mode: mode))
    }

    var current: any SignalingHub {
        state.withLockedValue { $0.hub }
    }

    var mode: String {
        state.withLockedValue { $0.mode }
    }

    func replace(with successor: any SignalingHub, mode: String) {
        state.withLockedValue { $0 = State(hub: successor, mode: mode) }
    }
}
