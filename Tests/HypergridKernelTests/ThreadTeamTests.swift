import Synchronization
import Testing
@testable import HypergridKernel

@Suite struct ThreadTeamTests {
    /// Counts how often each part ran.
    final class CountingJob: TeamJob {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        override init() {
            counts.initialize(repeating: 0, count: 16)
        }
        deinit { counts.deallocate() }
        override func run(part: Int) { counts[part] += 1 }
    }

    /// Every part runs exactly once per `run`, on any team size, many times over
    /// (so spinning, yielding and sleeping workers all get exercised).
    @Test(arguments: [1, 2, 3, 5])
    func everyPartRunsOnce(threads: Int) {
        let team = ThreadTeam(threads: threads)
        let job = CountingJob()
        for round in 0..<2_000 {
            let parts = 1 + round % 16
            job.counts.update(repeating: 0, count: 16)
            team.run(parts: parts, job)
            #expect((0..<16).allSatisfy { job.counts[$0] == ($0 < parts ? 1 : 0) }, "round \(round)")
        }
    }

    /// Workers that went to sleep between runs wake up for the next one.
    @Test func wakesSleepingWorkers() async throws {
        let team = ThreadTeam(threads: 3)
        let job = CountingJob()
        for _ in 0..<3 {
            try await Task.sleep(nanoseconds: 200_000_000)   // ≫ the spin budget
            team.run(parts: 3, job)
        }
        #expect((0..<3).allSatisfy { job.counts[$0] == 3 })
    }

    /// Records which elements each range covered.
    final class RecordingJob: RangeJob {
        let seen: UnsafeMutablePointer<Int>
        let bounds = UnsafeMutablePointer<Range<Int>>.allocate(capacity: 8)
        let ranges = Atomic<Int>(0)
        init(length: Int) {
            seen = .allocate(capacity: max(length, 1))
            seen.initialize(repeating: 0, count: max(length, 1))
        }
        deinit { seen.deallocate(); bounds.deallocate() }
        override func run(range: Range<Int>) {
            for i in range { seen[i] += 1 }
            bounds[ranges.wrappingAdd(1, ordering: .relaxed).oldValue] = range
        }
    }

    /// Ranges tile `0..<length`, respect `unit`, and stay whole below `minimum`.
    @Test func rangesCoverInOrder() {
        let team = ThreadTeam(threads: 3)
        for (length, unit, minimum) in [(0, 1, 1), (1, 1, 1), (10, 4, 1), (1_000, 16, 100), (50, 1, 100)] {
            let job = RecordingJob(length: length)
            team.forEachRange(length, unit: unit, minimum: minimum, job)
            let n = job.ranges.load(ordering: .relaxed)
            #expect((0..<length).allSatisfy { job.seen[$0] == 1 })
            #expect(n <= 3 && (length >= 2 * minimum || n <= 1))
            for r in UnsafeBufferPointer(start: job.bounds, count: n) where r.upperBound != length {
                #expect(r.upperBound % unit == 0)
            }
        }
    }
}
