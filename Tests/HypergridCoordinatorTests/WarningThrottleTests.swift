import Testing
@testable import HypergridCoordinator

/// Repeated warnings about one peer collapse into a periodic summary (issue 17 §4),
/// decided with a fake clock.
@Suite struct WarningThrottleTests {
    func at(_ seconds: Double) -> Instant { Instant(seconds: seconds) }

    @Test func theFirstFewAreLoggedAndTheRestSummedUpWhenTheWindowEnds() {
        var throttle = WarningThrottle(window: 10, burst: 5)
        var logged = 0
        for i in 0..<528 {
            let r1 = throttle.summaries(at: at(Double(i) * 0.01))
            #expect(r1.isEmpty)
            if throttle.admit(.malformedFrame, peer: "127.0.0.1") { logged += 1 }
        }
        #expect(logged == 5)
        let r2 = throttle.summaries(at: at(9.99))
        #expect(r2.isEmpty)
        let r3 = throttle.summaries(at: at(10))
        #expect(r3 == ["dropped 523 malformed frames from 127.0.0.1 in the last 10 s without logging each (528 in all)"])
        // A new window: the next one is logged in full again, and a quiet window says nothing.
        let r4 = throttle.admit(.malformedFrame, peer: "127.0.0.1")
        #expect(r4)
        let r5 = throttle.summaries(at: at(20))
        #expect(r5.isEmpty)
    }

    @Test func kindsAndPeersAreCountedApart() {
        var throttle = WarningThrottle(window: 10, burst: 1)
        let r6 = throttle.admit(.malformedFrame, peer: "10.0.0.1")
        #expect(r6)
        let r7 = throttle.admit(.wrongSender, peer: "10.0.0.1")
        #expect(r7)
        let r8 = throttle.admit(.malformedFrame, peer: "10.0.0.2")
        #expect(r8)
        let r9 = throttle.admit(.malformedFrame, peer: "10.0.0.1")
        #expect(!r9)
        let r10 = throttle.admit(.malformedFrame, peer: "10.0.0.2")
        #expect(!r10)
        let r11 = throttle.admit(.malformedFrame, peer: "10.0.0.2")
        #expect(!r11)
        let r12 = throttle.flush(at: at(3))
        #expect(r12 == [
            "dropped 1 malformed frames from 10.0.0.1 in the last 3 s without logging each (2 in all)",
            "dropped 2 malformed frames from 10.0.0.2 in the last 3 s without logging each (3 in all)",
        ])
    }

    /// A flood spread over many peers (new connections, spoofed addresses) and every kind
    /// stays a bounded number of lines per window.
    @Test func aFloodFromManyPeersStaysBounded() {
        var throttle = WarningThrottle(window: 10, burst: 5, maxPeers: 8, maxFullLines: 20)
        var logged = 0
        for i in 0..<100_000 {
            let kind = WarningThrottle.Kind.allCases[i % WarningThrottle.Kind.allCases.count]
            if throttle.admit(kind, peer: "peer \(i)") { logged += 1 }
        }
        let summaries = throttle.summaries(at: at(10))
        #expect(logged == 20)
        #expect(summaries.count <= 9 * WarningThrottle.Kind.allCases.count)
        #expect(summaries.contains { $0.contains("from other peers") })
        // Every warning is either logged or counted in a summary.
        let held = summaries.map { Int($0.split(separator: " ")[1])! }.reduce(0, +)
        #expect(held + logged == 100_000)
    }
}
