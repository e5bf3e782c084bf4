import Foundation
import HypergridCoordinator
import HypergridPrimitives
import HypergridResults
import HypergridSearchSpace
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension FaultToleranceTests {
    /// A seeded chaos driver against a real run (issue 17 §6): thousands of short trials on
    /// 8 worker processes while workers are SIGKILLed and restarted, frozen and thawed, and
    /// the coordinator is SIGKILLed and restarted 3 times, once with its journal's last line
    /// torn. Every trial must end up exactly once in the journal and the leaderboard.
    ///
    /// `scripts/soak --minutes N` runs rounds of it for N minutes (HYPERGRID_SOAK_MINUTES).
    @Suite struct ChaosSoak {
        static let workers = 8

        @Test func killsStopsAndCoordinatorCrashesLoseNoTrialAndRecordNoneTwice() throws {
            let minutes = ProcessInfo.processInfo.environment["HYPERGRID_SOAK_MINUTES"].flatMap(Double.init)
            let start = Date()
            var total = ChaosFigures()
            var round = 0
            repeat {
                round += 1
                let figures = try runRound(seed: UInt64(round), trials: 3_000)
                total.add(figures)
                print("chaos soak round \(round): \(figures.line)")
            } while minutes.map { Date().timeIntervalSince(start) < $0 * 60 } ?? false
            if round > 1 { print("chaos soak, \(round) rounds: \(total.line)") }
        }

        /// One run of `trials` trials (a multiple of 20) under chaos; returns what happened.
        private func runRound(seed: UInt64, trials: Int) throws -> ChaosFigures {
            let scenario = try FaultScenario("chaos")
            defer { scenario.stop() }
            // 20 rates × trials/20 regularisations, 5 iterations on 200 rows: ~10 ms each.
            let grid = scenario.dir.appendingPathComponent("grid.yaml")
            let rates = (1...20).map { "\(Double($0) * 0.001)" }.joined(separator: ", ")
            let regs = (1...(trials / 20)).map { "\(Double($0) * 1e-5)" }.joined(separator: ", ")
            try """
            dataset: {name: synthetic, train_rows: 200, validation_rows: 100, test_rows: 0}
            model: {hidden: [4], init: he}
            training: {optimizer: sgd, learning_rate: [\(rates)], reg: [\(regs)], iterations: 5, batch_size: 20, loss_every: 5}
            search: {kind: grid}
            """.write(to: grid, atomically: true, encoding: .utf8)
            // A lost attempt must not fail a trial here: kills are the point.
            let coordinatorArguments = scenario.coordinatorArguments(grid: grid, heartbeat: 0.25, liveness: 4,
                                                                     extra: ["--max-attempts", "50"])
            var rng = SplitMix64(seed: seed)
            var figures = ChaosFigures()
            let start = Date()
            var coordinatorLogs: [URL] = []
            func startCoordinator() throws -> CLIProcess {
                let log = "coordinator-\(coordinatorLogs.count + 1)"
                coordinatorLogs.append(scenario.logURL(log))
                return try scenario.start(coordinatorArguments, log: log)
            }
            var coordinator = try startCoordinator()
            // Each slot is a machine: a restarted worker keeps its name and its cache (and the
            // results it kept there unacknowledged).
            func startWorker(_ slot: Int, _ generation: Int) throws -> CLIProcess {
                try scenario.start(scenario.workerArguments("w\(slot)", heartbeat: 0.25, liveness: 4,
                                                            cache: scenario.dir.appendingPathComponent("cache-w\(slot)").path),
                                   log: "w\(slot)-\(generation)")
            }
            var generations = Array(repeating: 1, count: Self.workers)
            var workers = try (0..<Self.workers).map { try startWorker($0, 1) }
            var stopped: (slot: Int, until: Date)?
            // The coordinator dies when 20 %, 45 % and 70 % of the trials are journalled; the
            // second time its journal's last line is torn as a crash mid-append leaves it.
            var crashAt = [trials * 20 / 100, trials * 45 / 100, trials * 70 / 100]
            var nextKill = Date().addingTimeInterval(0.5)
            var nextJournalCheck = Date()
            let deadline = Date().addingTimeInterval(600)

            while coordinator.isRunning || !crashAt.isEmpty {
                guard Date() < deadline else { throw TestSetupError(description: "the chaos round did not finish in 600 s") }
                usleep(20_000)
                if let threshold = crashAt.first, Date() >= nextJournalCheck {
                    nextJournalCheck = Date().addingTimeInterval(0.2)
                    if journalLines(scenario.runDir) >= threshold {
                    crashAt.removeFirst()
                    coordinator.signal(SIGKILL)
                    _ = coordinator.wait(timeout: 10)
                    figures.coordinatorKills += 1
                    if figures.coordinatorKills == 2 { try tearLastJournalLine(scenario.runDir); figures.tornWrites += 1 }
                    coordinator = try startCoordinator()
                    continue
                    }
                }
                if !coordinator.isRunning, crashAt.isEmpty { break }
                if Date() >= nextKill {
                    nextKill = Date().addingTimeInterval(0.5)
                    let slot = Int(rng.next() % UInt64(Self.workers))
                    if stopped?.slot != slot {
                        workers[slot].signal(SIGKILL)
                        _ = workers[slot].wait(timeout: 10)
                        generations[slot] += 1
                        workers[slot] = try startWorker(slot, generations[slot])
                        figures.workerKills += 1
                    }
                }
                if let s = stopped, Date() >= s.until {
                    workers[s.slot].signal(SIGCONT)
                    stopped = nil
                } else if stopped == nil, rng.next() % 50 == 0 {
                    let slot = Int(rng.next() % UInt64(Self.workers))
                    workers[slot].signal(SIGSTOP)
                    stopped = (slot, Date().addingTimeInterval(2))
                    figures.stops += 1
                }
            }
            if let s = stopped { workers[s.slot].signal(SIGCONT) }
            let status = coordinator.wait(timeout: 60)
            figures.wall = Date().timeIntervalSince(start)
            let lastLog = (try? String(contentsOf: coordinatorLogs.last!, encoding: .utf8)) ?? ""
            #expect(status == 0, "\(lastLog.suffix(3000))")
            let replay = try expectEveryTrialExactlyOnce(scenario.runDir, planned: trials)
            #expect(replay.results.values.allSatisfy { $0.metrics.status == .done })
            for url in coordinatorLogs {
                let log = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                figures.requeues += occurrences(of: " requeued", in: log)
                figures.tornDropped += occurrences(of: "dropped a torn last line of the journal", in: log)
            }
            #expect(figures.coordinatorKills == 3 && figures.tornWrites == 1)
            #expect(figures.tornDropped >= 1, "the restarted coordinator dropped the torn line")
            figures.trials = trials
            return figures
        }

        /// Lines in the journal: its records, counted without parsing them (this runs often).
        private func journalLines(_ runDir: URL) -> Int {
            guard let data = try? Data(contentsOf: runDir.appendingPathComponent(Journal.fileName)) else { return 0 }
            return data.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        }

        /// Cuts the journal's last complete line in half.
        private func tearLastJournalLine(_ runDir: URL) throws {
            let journal = runDir.appendingPathComponent(Journal.fileName)
            let bytes = try [UInt8](Data(contentsOf: journal))
            guard bytes.last == 0x0A, bytes.count > 1 else { return }
            let lastLineStart = bytes.dropLast().lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            try Data(bytes[..<(lastLineStart + (bytes.count - 1 - lastLineStart) / 2)]).write(to: journal)
        }
    }
}

/// What a chaos round did.
struct ChaosFigures {
    var trials = 0
    var workerKills = 0
    var stops = 0
    var coordinatorKills = 0
    var tornWrites = 0
    var tornDropped = 0
    var requeues = 0
    var wall = 0.0

    mutating func add(_ other: ChaosFigures) {
        trials += other.trials
        workerKills += other.workerKills
        stops += other.stops
        coordinatorKills += other.coordinatorKills
        tornWrites += other.tornWrites
        tornDropped += other.tornDropped
        requeues += other.requeues
        wall += other.wall
    }

    var line: String {
        "\(trials) trials each recorded once (0 lost, 0 twice); survived \(workerKills) worker SIGKILLs, \(stops) SIGSTOP/SIGCONTs, \(coordinatorKills) coordinator SIGKILLs with \(tornWrites) torn journal write(s); \(requeues) requeues; \(String(format: "%.1f", wall)) s wall"
    }
}
