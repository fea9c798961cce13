import Logging
import NIOCore
import TomDHT

/// Runs a `RepublishSchedule` on the driver's event loop: one timer armed at the schedule's
/// next deadline, and each due round started on the node like any other operation. All the
/// timing decisions are the schedule's (tested on virtual time); this only executes them.
/// Confined to the event loop, like the `DHTDriverCore` that owns it.
final class Republisher {
    private unowned let core: DHTDriverCore
    private var schedule: RepublishSchedule
    private var timer: Scheduled<Void>?
    private var timerDeadline: DHTTime?
    private var isStopped = false

    init(core: DHTDriverCore, settings: RepublishSchedule.Settings) {
        self.core = core
        self.schedule = RepublishSchedule(settings: settings)
    }

    var publications: [Publication] { schedule.publications }

    /// Keeps `publication` published; false when the schedule is full.
    func keep(_ publication: Publication) -> Bool {
        guard !isStopped else { return false }
        let kept = schedule.remember(publication, now: core.now())
        arm()
        return kept
    }

    func forget(_ key: Publication.Key) {
        schedule.forget(key)
    }

    /// Stops the timer for good (the driver is shutting down).
    func stop() {
        isStopped = true
        timer?.cancel()
        timer = nil
    }

    /// Starts every round that is due, then re-arms the timer.
    private func runDue() {
        guard !isStopped, !core.isShutDown else { return }
        for round in schedule.takeDue(now: core.now()) {
            let (_, future) = core.start { node, now in node.publish(round.publication, now: now) }
            future.assumeIsolated().whenComplete { [weak self] result in
                guard let self else { return }
                let outcome = try? result.get()
                let verdict = schedule.finish(round, outcome: outcome, now: core.now())
                log(round.publication, verdict)
                runDue()
            }
        }
        arm()
    }

    /// Arms the timer for the next round unless one at least as early is armed; an early
    /// wake-up finds nothing due and re-arms.
    private func arm() {
        guard !isStopped, let deadline = schedule.nextDeadline else { return }
        if let armed = timerDeadline, armed <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        let delay = deadline.elapsed(since: core.now())
        timer = core.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(clamping: delay.nanoseconds))) { [weak self] in
            guard let self else { return }
            timer = nil
            timerDeadline = nil
            runDue()
        }
    }

    private func log(_ publication: Publication, _ verdict: RepublishSchedule.RoundResult) {
        let what: Logger.MetadataValue = "\(publication.key)"
        switch verdict {
        case .stored(let count):
            core.logger.debug("republished", metadata: ["publication": what, "stored": "\(count)"])
        case .failed:
            core.logger.info("republish stored nowhere; retrying soon", metadata: ["publication": what])
        case .superseded:
            core.logger.info("stopped republishing: a newer seq is stored", metadata: ["publication": what])
        }
    }
}
