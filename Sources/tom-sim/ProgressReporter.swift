import Foundation
import TomSim

/// A progress line on stderr every few wall seconds, and the wall time of each phase.
struct ProgressReporter {
    let interval: Double
    let clock: WallClock
    private var lastPrint = 0.0
    private var lastPhase: String?
    private var phaseStartedAt = 0.0
    private var phaseCPUStartedAt = 0.0
    private var lastProgress: SimulationProgress?
    private(set) var phaseWallSeconds: [String: Double] = [:]
    private(set) var phaseCPUSeconds: [String: Double] = [:]

    init(interval: Double, clock: WallClock) {
        self.interval = interval
        self.clock = clock
    }

    mutating func update(_ progress: SimulationProgress) {
        let now = clock.seconds
        if progress.phase != lastPhase {
            let cpu = ProcessCPU.seconds
            if let lastPhase {
                phaseWallSeconds[lastPhase, default: 0] += now - phaseStartedAt
                phaseCPUSeconds[lastPhase, default: 0] += cpu - phaseCPUStartedAt
            }
            lastPhase = progress.phase
            phaseStartedAt = now
            phaseCPUStartedAt = cpu
        }
        lastProgress = progress
        if now - lastPrint >= interval {
            lastPrint = now
            print(progress, wall: now)
        }
    }

    mutating func finish() {
        let now = clock.seconds
        if let lastPhase {
            phaseWallSeconds[lastPhase, default: 0] += now - phaseStartedAt
            phaseCPUSeconds[lastPhase, default: 0] += ProcessCPU.seconds - phaseCPUStartedAt
        }
        lastPhase = nil
        if interval.isFinite, let lastProgress { print(lastProgress, wall: now) }
    }

    private func print(_ progress: SimulationProgress, wall: Double) {
        let share = progress.plannedSeconds > 0 ? min(1, progress.simulatedSeconds / progress.plannedSeconds) : 1
        let line = String(
            format: "[tom-sim %6.1fs] %@ sim %.0f/%.0f s (%3.0f%%), %d live nodes, %d ops done, %d in flight, %d datagrams\n",
            wall, progress.phase, progress.simulatedSeconds, progress.plannedSeconds, share * 100,
            progress.liveNodes, progress.operationsRecorded, progress.operationsInFlight, progress.datagramsSent
        )
        FileHandle.standardError.write(Data(line.utf8))
    }
}
