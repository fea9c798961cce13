import Testing
import TomDHT

@Suite("Injected time")
struct DHTTimeTests {
    @Test func durationsConvertToNanoseconds() {
        #expect(DHTDuration.milliseconds(3).nanoseconds == 3_000_000)
        #expect(DHTDuration.seconds(2).nanoseconds == 2_000_000_000)
        #expect(DHTDuration.minutes(15) == .seconds(900))
        #expect(DHTDuration.seconds(1) + .milliseconds(500) == .milliseconds(1_500))
    }

    @Test func arithmeticSaturatesInsteadOfTrapping() {
        #expect(DHTDuration.minutes(.max).nanoseconds == .max)
        #expect((DHTTime(nanoseconds: .max - 1) + .seconds(1)).nanoseconds == .max)
        #expect(DHTDuration(nanoseconds: .max) + .seconds(1) == DHTDuration(nanoseconds: .max))
    }

    @Test func elapsedTimeNeverGoesNegative() {
        let earlier = DHTTime(nanoseconds: 100)
        let later = DHTTime(nanoseconds: 350)
        #expect(later.elapsed(since: earlier) == DHTDuration(nanoseconds: 250))
        #expect(earlier.elapsed(since: later) == .zero)
        #expect(earlier < later)
    }
}
