import HypergridPrimitives
import HypergridResults
import HypergridSearchSpace
import HypergridTestSupport
import Testing
@testable import HypergridCoordinator

/// Successive halving in the pure scheduler: rungs planned from recorded results only, so
/// that the survivors do not depend on the number of workers, the order results arrive in,
/// or a coordinator restart.
@Suite struct HalvingSchedulerTests {
    /// 12 points (hidden 3 × lr 4), 2 repeats, rungs of 1, 3 and 9 epochs, then a refit.
    func grid(repeats: Int = 2, refit: RefitData? = .trainValidation) -> GridSpec {
        var axes = ParameterAxes()
        axes.hidden = [[8], [16], [32]]
        axes.learningRate = [0.001, 0.01, 0.1, 1]
        axes.length = [.epochs(9)]
        return GridSpec(dataset: DatasetSpec(kind: .synthetic), axes: axes,
                        search: SearchSpec(kind: .halving(HalvingRungs(factor: 3, minEpochs: 1, maxEpochs: 9)),
                                           seed: 4, repeats: repeats, refit: refit))
    }
    let shape = DatasetShape(features: 10, classes: 3, trainRows: 1000)

    func stages(_ g: GridSpec, recorded: [TrialID: Double?] = [:]) -> SearchStages {
        SearchStages(grid: g, fingerprint: "fixture", shape: shape, recorded: recorded)
    }

    /// A made-up validation accuracy: depends on the point, the seed and the budget, with
    /// exact ties between some points so that the tie rule matters.
    static func accuracy(_ t: PlannedTrial) -> Double? {
        if t.config.learningRate == 1 && t.config.hidden == [8] { return nil }   // "diverged"
        let budget = Double(t.config.stopAfterEpochs ?? 9)
        let base = [0.001: 0.30, 0.01: 0.50, 0.1: 0.50, 1: 0.40][t.config.learningRate]!
        let size = Double(t.config.hidden[0]) / 1000
        // Seeds differ by ±0.01 and cancel in the mean: lr 0.01 and 0.1 tie exactly.
        let seed = t.config.seed % 2 == 0 ? 0.01 : -0.01
        return base + size + seed + budget / 100
    }

    /// Runs a halving search to the end with `workers` workers answering in a shuffled
    /// order; returns the points of each stage and the journal.
    func run(workers: Int, shuffleSeed: UInt64, restartAfter: Int? = nil)
        -> (stages: [[Int]], refit: PlannedTrial?, journal: [JournalRecord]) {
        let g = grid()
        var s = stages(g)
        var h = Harness(s.planned)
        h.scheduler = Scheduler(plan: s.planned, finished: [], stages: s)
        var rng = SplitMix64(seed: shuffleSeed)
        var busy: [(WorkerID, PlannedTrial)] = []
        var time = 0.0
        func absorb(_ actions: [SchedulerAction], _ h: Harness) {
            for case .assign(let w, let t, _) in actions { busy.append((w, t)) }
        }
        for k in 0..<workers { absorb(h.send(.ready(WorkerID("w\(k)"), hello("w\(k)")), at: time), h) }
        var results = 0
        while !h.scheduler.isFinished {
            guard !busy.isEmpty else { Issue.record("stalled: \(h.scheduler.status.line)"); break }
            let (w, t) = busy.remove(at: Int(rng.next() % UInt64(busy.count)))
            time += 0.01
            absorb(h.send(.result(w, t.id, outcome(Self.accuracy(t), status: Self.accuracy(t) == nil ? .diverged : .done)), at: time), h)
            results += 1
            if results == restartAfter {
                // The coordinator dies; a new one replays the journal and the workers reconnect.
                var recorded: [TrialID: Double?] = [:]
                for case .trialResult(let r) in h.journal { recorded[r.trial] = .some(r.metrics.validationAccuracy) }
                s = stages(g, recorded: recorded)
                var restarted = Harness(s.planned, finished: Set(recorded.keys))
                restarted.scheduler = Scheduler(plan: s.planned, finished: Set(recorded.keys), stages: s)
                restarted.journal = h.journal
                h = restarted
                busy = []
                for k in 0..<workers { absorb(h.send(.ready(WorkerID("w\(k)"), hello("w\(k)")), at: time), h) }
            }
        }
        let final = h.scheduler.stages!
        return (final.stages.map { $0.map(\.point) }, final.refitTrial, h.journal)
    }

    @Test func rungsKeepTheTopThirdByMeanAccuracyWithTiesByTrialID() {
        let result = run(workers: 1, shuffleSeed: 1)
        #expect(result.stages.count == 4)   // rungs of 12, 4 and 2 points, then the refit
        #expect(result.stages.map { Set($0).count } == [12, 4, 2, 1])
        #expect(result.stages[0].count == 24 && result.stages[1].count == 8)   // two repeats each
        let g = grid()
        // Rung 0: lr 0.01 and 0.1 tie exactly for each width; the larger widths score higher.
        let points = (0..<12).map { g.axes.point($0, seed: 0) }
        let rung1 = Set(result.stages[1])
        #expect(rung1.allSatisfy { [0.01, 0.1].contains(points[$0].learningRate) && points[$0].hidden != [8] })
        // hidden 32 (two tied points) and 16 (two tied points): 4 of them, no tie to break here;
        // rung 1 keeps 2 of the 4: both hidden-32 points.
        #expect(Set(result.stages[2]).allSatisfy { points[$0].hidden == [32] })
        // The refit is of the winner of the last rung: of two exact ties, the smaller trial id.
        let finalists = result.journal.compactMap { r -> TrialResultRecord? in
            if case .trialResult(let t) = r, t.config.stopAfterEpochs == nil, t.config.refit == nil { return t }
            return nil
        }
        let byPoint = Dictionary(grouping: finalists, by: \.point)
        let winner = byPoint.min { a, b in a.value.map(\.trial).min()! < b.value.map(\.trial).min()! }!.key
        #expect(result.refit?.point == winner)
        #expect(result.refit?.config.refit == .trainValidation && result.refit?.config.stopAfterEpochs == nil)
        #expect(result.refit?.config.length == .epochs(9))
    }

    @Test func sameSurvivorsOnAnyNumberOfWorkersAndResultOrder() {
        let reference = run(workers: 1, shuffleSeed: 1)
        for (workers, seed) in [(2, 7), (3, 8), (5, 9), (16, 10)] as [(Int, UInt64)] {
            let other = run(workers: workers, shuffleSeed: seed)
            #expect(other.stages.map(Set.init) == reference.stages.map(Set.init), "\(workers) workers")
            #expect(other.refit == reference.refit)
        }
    }

    @Test func aRestartedCoordinatorRebuildsTheRungsFromTheJournal() {
        let reference = run(workers: 2, shuffleSeed: 3)
        // Mid-rung 0, exactly at its end, mid-rung 1, and mid-rung 2.
        for cut in [5, 24, 27, 33] {
            let restarted = run(workers: 2, shuffleSeed: 3, restartAfter: cut)
            #expect(restarted.stages.map(Set.init) == reference.stages.map(Set.init), "restart after \(cut)")
            #expect(restarted.refit == reference.refit)
            // Nothing ran twice: one record per trial.
            let ids = restarted.journal.compactMap(\.trialID)
            #expect(ids.count == Set(ids).count)
        }
    }

    @Test func laterRungsContinueFromCheckpointsAndOnlyTheLastHasThePlainGridsIDs() {
        let g = grid(repeats: 1, refit: nil)
        let rung0 = g.halvingRung(0, points: [3], datasetFingerprint: "f", shape: shape)
        let rung1 = g.halvingRung(1, points: [3], datasetFingerprint: "f", shape: shape)
        let rung2 = g.halvingRung(2, points: [3], datasetFingerprint: "f", shape: shape)
        #expect(rung0[0].resumeFrom == nil && rung0[0].saveCheckpoint && rung0[0].config.stopAfterEpochs == 1)
        #expect(rung1[0].resumeFrom == rung0[0].id && rung1[0].saveCheckpoint && rung1[0].config.stopAfterEpochs == 3)
        #expect(rung2[0].resumeFrom == rung1[0].id && !rung2[0].saveCheckpoint && rung2[0].config.stopAfterEpochs == nil)
        var plain = g
        plain.search.kind = .grid
        let grid = plain.plan(datasetFingerprint: "f", shape: shape)
        #expect(grid.first { $0.point == 3 }!.id == rung2[0].id)
        // A continuation costs only its new epochs: 2 of rung 1's 3, 6 of rung 2's 9.
        #expect(abs(rung1[0].cost - 2 * rung0[0].cost) < 1e-6 * rung1[0].cost)
        #expect(abs(rung2[0].cost - 6 * rung0[0].cost) < 1e-6 * rung2[0].cost)
    }

    @Test func budgetsAndSurvivorCounts() {
        #expect(HalvingRungs(factor: 3, minEpochs: 1, maxEpochs: 27).budgets == [1, 3, 9, 27])
        #expect(HalvingRungs(factor: 3, minEpochs: 1, maxEpochs: 10).budgets == [1, 3, 9, 10])
        #expect(HalvingRungs(factor: 2, minEpochs: 4, maxEpochs: 4).budgets == [4])
        // 2·3^39 < Int.max < 2·3^40: forty budgets below the cap, then the cap; no overflow.
        #expect(HalvingRungs(factor: 3, minEpochs: 2, maxEpochs: Int.max).budgets.count == 41)
        let rungs = HalvingRungs(factor: 3, minEpochs: 1, maxEpochs: 9)
        #expect([1, 2, 3, 4, 54, 55].map(rungs.survivors) == [1, 1, 1, 2, 18, 19])
    }

    @Test func aGridWithRefitRefitsTheBestMeanPoint() {
        var g = grid(repeats: 2, refit: .train)
        g.search.kind = .grid
        var h = Harness([])
        let s = stages(g)
        h.scheduler = Scheduler(plan: s.planned, finished: [], stages: s)
        var assigned: [PlannedTrial] = []
        for case .assign(_, let t, _) in h.send(.ready(WorkerID("w"), hello("w")), at: 0) { assigned.append(t) }
        var time = 0.0
        while let t = assigned.popLast() {
            #expect(t.config.refit == nil || h.scheduler.stages!.refitTrial?.id == t.id)
            time += 1
            for case .assign(_, let next, _) in h.send(.result(WorkerID("w"), t.id, outcome(Self.accuracy(t))), at: time) {
                assigned.append(next)
            }
        }
        #expect(h.scheduler.isFinished)
        let refit = h.scheduler.stages!.refitTrial!
        let points = (0..<12).map { g.axes.point($0, seed: 0) }
        #expect(points[refit.point].hidden == [32] && [0.01, 0.1].contains(points[refit.point].learningRate))
        #expect(refit.config.refit == .train && h.journal.count == 25)
    }
}
