import Foundation
import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// The pieces together, as the socket driver will use them: the scheduler's records go
/// to a real journal and leaderboard; the coordinator is killed part way and restarted.
@Suite struct RecoveryTests {
    /// Runs the scheduler's actions against the journal, feeding confirmations back.
    /// Returns the assignments made, for the simulated workers.
    static func perform(_ actions: [SchedulerAction], _ scheduler: inout Scheduler, journal: Journal,
                        board: inout Leaderboard, directory: String, now: Double) throws -> [(WorkerID, PlannedTrial)] {
        var assigned: [(WorkerID, PlannedTrial)] = []
        var queue = actions
        while !queue.isEmpty {
            switch queue.removeFirst() {
            case .appendToJournal(let record):
                try journal.append(record, time: now)
                board.add(record)
                try board.write(toDirectory: directory)
                queue += scheduler.handle(.journalAppended(record.trialID!), at: Instant(seconds: now))
            case .assign(let worker, let trial, _):
                assigned.append((worker, trial))
            default:
                break
            }
        }
        return assigned
    }

    @Test func coordinatorCrashLosesAndRepeatsNothing() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        // Twelve distinct grid points (learning rates), of mixed cost.
        let plan: [PlannedTrial] = (0..<12).map { (i: Int) -> PlannedTrial in
            trial(UInt64(i), cost: Double(i % 5 + 1), learningRate: 0.001 * Double(i + 1))
        }
        let w = WorkerID("w")

        // First life: five results are journaled, a sixth is being appended when it dies.
        do {
            let journal = try Journal(directory: dir.path)
            try journal.append(.runStarted(RunStartedRecord(planDigest: PlanDigest.of(plan), trials: 12, skipped: 0)))
            var scheduler = Scheduler(plan: plan, finished: journal.replay.finished)
            var board = Leaderboard(replay: journal.replay)
            var work = try Self.perform(scheduler.handle(.ready(w, hello("w")), at: Instant(seconds: 0)),
                                        &scheduler, journal: journal, board: &board, directory: dir.path, now: 0)
            for step in 1...5 {
                let (worker, trial) = work.removeFirst()
                work += try Self.perform(scheduler.handle(.result(worker, trial.id, outcome(Double(step) / 10)),
                                                          at: Instant(seconds: Double(step))),
                                         &scheduler, journal: journal, board: &board, directory: dir.path, now: Double(step))
            }
        }
        let handle = FileHandle(forWritingAtPath: dir.file(Journal.fileName))!
        handle.seekToEndOfFile()
        handle.write(Data("{\"type\":\"result\",\"trial\":\"".utf8))
        handle.closeFile()
        #expect(try Leaderboard.load(dir.file(Leaderboard.fileName)).count == 5)

        // Second life: the torn line is dropped, the five are skipped, the rest run.
        let journal = try Journal(directory: dir.path)
        #expect(journal.replay.tornTail != nil && journal.replay.finished.count == 5)
        var scheduler = Scheduler(plan: plan, finished: journal.replay.finished)
        var board = Leaderboard(replay: journal.replay)
        var work = try Self.perform(scheduler.handle(.ready(w, hello("w")), at: Instant(seconds: 0)),
                                    &scheduler, journal: journal, board: &board, directory: dir.path, now: 10)
        var rerun = Set<TrialID>()
        while !work.isEmpty {
            let (worker, trial) = work.removeFirst()
            rerun.insert(trial.id)
            work += try Self.perform(scheduler.handle(.result(worker, trial.id, outcome(0.5)), at: Instant(seconds: 11)),
                                     &scheduler, journal: journal, board: &board, directory: dir.path, now: 11)
        }
        #expect(scheduler.isFinished && scheduler.summary.skipped == 5 && scheduler.summary.done == 7)
        #expect(rerun.isDisjoint(with: try Journal.read(dir.path).entries.prefix(6).compactMap(\.record.trialID)))

        let replay = try Journal.read(dir.path)
        let ids = replay.entries.compactMap(\.record.trialID)
        #expect(ids.count == 12 && Set(ids) == Set(plan.map(\.id)) && replay.duplicates == 0)
        let rows = try Leaderboard.load(dir.file(Leaderboard.fileName))
        #expect(rows.count == 12 && rows.first?.validationAccuracy == 0.5)
    }
}
