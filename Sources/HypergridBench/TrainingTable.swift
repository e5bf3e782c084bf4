// The training table: whole trainings through the real `Trainer`, on synthetic data of
// the peers' shapes (49,000 training and 1,000 validation rows, 10 classes, float32,
// batch 200, H = 256), so that figures compare with shared/bench's numpy and PyTorch
// trainers run in the same session.
//
// For every workload and repetition it records
// - samples/s over the wall time of the whole `train` call (per-epoch evaluation
//   included, as the peers time it) and per CPU second of the process (all threads);
// - the trainer's own figure (training iterations only, no evaluation);
// - where the wall time went (`GEMMProfile`): all GEMM calls (fused bias/ReLU/BatchNorm-
//   backward finishes included), the part of it in narrow GEMMs (the 10-class output
//   layer's products), the optimizer's update, and the rest (activations, softmax,
//   BatchNorm's forward, dropout, sampling, evaluation outside GEMMs);
// - % of peak: training FLOPs (forward, weight gradients, input gradients of every
//   layer but the first) per CPU second over one core's measured FMA peak.
// Each figure is the median over the repetitions.
#if canImport(Glibc)
import Glibc
#endif
import HypergridData
import HypergridKernel
import HypergridSearchSpace
import HypergridTraining

/// One training configuration of the table.
struct TrainingWorkload {
    let name: String
    let inputWidth: Int
    let config: TrialConfig
    var threads = 1
    /// Final training accuracy rows (`Trainer.trainAccuracyRows`).
    var trainAccuracyRows = 1_000

    /// FLOPs of one training step per sample: forward `X·W` of every layer, `Xᵀ·dY` of
    /// every layer, `dY·Wᵀ` of every layer but the first.
    var flopsPerSample: Double {
        let widths = [inputWidth] + config.hidden + [10]
        var fma = 0
        for l in 0..<(widths.count - 1) {
            let mac = widths[l] * widths[l + 1]
            fma += (l == 0 ? 2 : 3) * mac
        }
        return 2 * Double(fma)
    }
}

/// The workloads of the performance issue.
func trainingWorkloads(quick: Bool) -> [TrainingWorkload] {
    let scale = quick ? 5 : 1
    func twoLayer(_ iterations: Int) -> TrialConfig {
        // bench_numpy.py / bench_torch.py --model twolayer: lr 1e-4, reg 0.25, std 1e-4.
        TrialConfig(hidden: [256], optimizer: .sgd, learningRate: 1e-4, learningRateDecay: 0.95,
                    reg: 0.25, batchSize: 200, length: .iterations(iterations / scale),
                    initScheme: .gaussian(std: 1e-4), seed: 1, lossEvery: 1)
    }
    // bench_torch.py --model deep --bn --optim adam: lr 1e-3, weight decay 1e-3
    // (PyTorch adds wd·w to the gradient; ours adds 2·reg·w).
    let deep = TrialConfig(hidden: [256, 128, 64], batchNorm: true, optimizer: .adam,
                           learningRate: 1e-3, learningRateDecay: 0.95, reg: 5e-4, batchSize: 200,
                           length: .iterations(490 / scale), initScheme: .he, seed: 1, lossEvery: 1)
    // The deep net with issue 19's training features on (dropout, label smoothing, decoupled
    // weight decay, shuffled epochs, cosine schedule with warm-up): what they cost per step.
    var featured = deep
    featured.dropout = 0.2
    featured.labelSmoothing = 0.1
    featured.weightDecay = 0.05
    featured.shuffle = true
    featured.schedule = .cosine
    featured.warmupEpochs = 1
    // The same with MixUp (α = 0.2): the mixing pass and the mixed-target loss.
    var mixed = featured
    mixed.mixup = 0.2
    // The net of examples/cifar10-accuracy.yaml's search (2048-1024 + BN, the same features).
    var wide = featured
    wide.hidden = [2048, 1024]
    wide.dropout = 0.1
    wide.length = .iterations(98 / scale)
    return [
        TrainingWorkload(name: "2-layer D=99", inputWidth: 99, config: twoLayer(2_450)),
        TrainingWorkload(name: "2-layer D=3072", inputWidth: 3072, config: twoLayer(490)),
        TrainingWorkload(name: "deep BN Adam D=3072", inputWidth: 3072, config: deep),
        TrainingWorkload(name: "2-layer D=3072 x2 threads", inputWidth: 3072, config: twoLayer(490),
                         threads: 2),
        TrainingWorkload(name: "deep BN Adam D=3072 x2 threads", inputWidth: 3072, config: deep,
                         threads: 2),
        TrainingWorkload(name: "deep BN Adam D=3072 + features", inputWidth: 3072, config: featured),
        TrainingWorkload(name: "deep BN Adam D=3072 + features + MixUp", inputWidth: 3072, config: mixed),
        TrainingWorkload(name: "2048-1024 BN Adam D=3072 + features", inputWidth: 3072, config: wide),
    ]
}

/// Median figures of one workload.
struct TrainingResult {
    let workload: TrainingWorkload
    var wallSamplesPerSecond: Double
    var cpuSamplesPerSecond: Double
    var trainerSamplesPerSecond: Double
    var gemmShare: Double
    /// Shares of the wall time in narrow GEMMs (part of `gemmShare`) and in optimizer steps.
    var narrowShare: Double
    var optimizerShare: Double
    var percentOfPeak: Double
    /// Cores other processes used while it trained (median over repetitions).
    var otherLoad: Double?
    /// FNV-1a of the loss history's bits: equal across builds and thread counts
    /// iff the trainings are bit-identical.
    var lossChecksum: UInt64
}

/// CPU seconds all cores of the machine have been busy (/proc/stat: user, nice,
/// system, irq, softirq, steal), or nil where unavailable.
func machineBusySeconds() -> Double? {
    guard let f = fopen("/proc/stat", "r") else { return nil }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 512)
    guard fgets(&line, Int32(line.count), f) != nil else { return nil }
    let fields = String(cString: line).split(separator: " ").dropFirst().compactMap { Double($0) }
    guard fields.count >= 7 else { return nil }
    let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields.count > 7 ? fields[7] : 0)
    return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Cores' worth of CPU other processes used over `body` (machine busy time minus ours).
func foreignLoad(_ body: () -> Void) -> (wall: Double, cores: Double?) {
    let (b0, c0, w0) = (machineBusySeconds(), processCPUSeconds(), wallSeconds())
    body()
    let (b1, c1, w1) = (machineBusySeconds(), processCPUSeconds(), wallSeconds())
    guard let b0, let b1, w1 > w0 else { return (w1 - w0, nil) }
    return (w1 - w0, max(0, ((b1 - b0) - (c1 - c0)) / (w1 - w0)))
}

/// Waits (at most `maxWait` seconds) until other processes use at most `maxLoad`
/// cores over a 0.5 s window, as shared/bench's `wait_quiet`. Returns the last load seen.
@discardableResult
func waitQuiet(maxLoad: Double = 0.3, maxWait: Double) -> Double? {
    let start = wallSeconds()
    while true {
        let load = foreignLoad { usleep(500_000) }.cores
        guard let load else { return nil }
        if load <= maxLoad || wallSeconds() - start >= maxWait { return load }
    }
}

func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func wallSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Trains `workload` `repeats` times (after one short warm-up) and takes medians.
func measure(_ workload: TrainingWorkload, data: DatasetSplits, repeats: Int, peak: Double,
             quietWait: Double) -> TrainingResult {
    let trainer = Trainer(trainAccuracyRows: workload.trainAccuracyRows, threads: workload.threads)
    var warmup = workload.config
    warmup.length = .iterations(5)
    _ = trainer.train(config: warmup, data: data)

    var wall: [Double] = [], cpu: [Double] = [], own: [Double] = [], share: [Double] = []
    var narrow: [Double] = [], optimizer: [Double] = []
    var others: [Double] = []
    var checksum: UInt64 = 0
    for _ in 0..<max(repeats, 1) {
        if quietWait > 0 { waitQuiet(maxWait: quietWait) }
        GEMMProfile.reset()
        GEMMProfile.isEnabled = true
        var outcome: TrialOutcome? = nil
        let c0 = processCPUSeconds()
        let (seconds, load) = foreignLoad { outcome = trainer.train(config: workload.config, data: data) }
        let c1 = processCPUSeconds()
        GEMMProfile.isEnabled = false
        let samples = Double(outcome!.metrics.iterations * workload.config.batchSize)
        wall.append(samples / seconds)
        cpu.append(samples / (c1 - c0))
        if let load { others.append(load) }
        own.append(outcome!.metrics.samplesPerSecond)
        share.append(Double(GEMMProfile.nanoseconds) * 1e-9 / seconds)
        narrow.append(Double(GEMMProfile.narrowNanoseconds) * 1e-9 / seconds)
        optimizer.append(Double(GEMMProfile.optimizerNanoseconds) * 1e-9 / seconds)
        checksum = outcome!.history.loss.reduce(0xcbf2_9ce4_8422_2325 as UInt64) {
            ($0 ^ UInt64($1.bitPattern)) &* 0x100_0000_01b3
        }
    }
    let cpuRate = median(cpu)
    return TrainingResult(workload: workload, wallSamplesPerSecond: median(wall),
                          cpuSamplesPerSecond: cpuRate, trainerSamplesPerSecond: median(own),
                          gemmShare: median(share), narrowShare: median(narrow),
                          optimizerShare: median(optimizer),
                          percentOfPeak: 100 * workload.flopsPerSample * cpuRate / (peak * 1e9),
                          otherLoad: others.isEmpty ? nil : median(others), lossChecksum: checksum)
}

/// Share of a 1-epoch D = 99 trial's wall time spent outside training iterations
/// (per-epoch and final evaluation with the default `Trainer`, and setup).
func evaluationShare(data: DatasetSplits, repeats: Int) -> (share: Double, seconds: Double) {
    let config = TrialConfig(hidden: [256], optimizer: .sgd, learningRate: 1e-4, reg: 0.25,
                             batchSize: 200, length: .epochs(1), seed: 1)
    var shares: [Double] = [], walls: [Double] = []
    _ = Trainer().train(config: config, data: data)
    for _ in 0..<max(repeats, 1) {
        let outcome = Trainer().train(config: config, data: data)
        let m = outcome.metrics
        let training = Double(m.iterations * config.batchSize) / m.samplesPerSecond
        shares.append(1 - training / m.wallSeconds)
        walls.append(m.wallSeconds)
    }
    return (median(shares), median(walls))
}

func runTrainingTable(_ arguments: ArraySlice<String>) {
    var json = false, quick = false
    var repeats = 3
    var filter: String? = nil
    var statedPeak: Double? = nil
    var quietWait = 0.0
    var args = arguments
    while let arg = args.popFirst() {
        switch arg {
        case "--json": json = true
        case "--quick": quick = true
        case "--repeats": repeats = Int(args.popFirst() ?? "") ?? repeats
        case "--filter": filter = args.popFirst()
        case "--peak": statedPeak = Double(args.popFirst() ?? "")
        case "--wait-quiet": quietWait = Double(args.popFirst() ?? "") ?? 60
        default:
            print("usage: hypergrid-bench train [--json] [--repeats N] [--filter NAME] [--peak GFLOPS] [--quick]"
                  + " [--wait-quiet MAX_SECONDS]")
            exit(arg == "--help" ? 0 : 2)
        }
    }
    let measuredPeak = measurePeak(seconds: 0.5)
    let peak = statedPeak ?? measuredPeak
    var datasets: [Int: DatasetSplits] = [:]
    func data(_ width: Int) -> DatasetSplits {
        if let d = datasets[width] { return d }
        let d = ThroughputProbe.syntheticData(inputWidth: width, classCount: 10, trainRows: 49_000)
        datasets[width] = d
        return d
    }
    var results: [TrainingResult] = []
    for w in trainingWorkloads(quick: quick) where filter.map({ w.name.contains($0) }) ?? true {
        results.append(measure(w, data: data(w.inputWidth), repeats: repeats, peak: peak,
                               quietWait: quietWait))
    }
    let eval = filter == nil || "evaluation".contains(filter!)
        ? evaluationShare(data: data(99), repeats: repeats) : nil

    if json {
        var out = "{\"peak_gflops\": \(fmt(peak, 1)), \"measured_peak_gflops\": \(fmt(measuredPeak, 1)), "
            + "\"kernel\": \"\(GEMMKernelPath.active.rawValue)\", "
            + "\"vector_lanes\": \(GEMMKernelPath.active.lanes), \"workloads\": ["
        out += results.map { r in
            "{\"name\": \"\(r.workload.name)\", \"D\": \(r.workload.inputWidth), "
            + "\"threads\": \(r.workload.threads), "
            + "\"iterations\": \(r.workload.config.length.iterationCount(trainRows: 49_000, batchSize: 200)), "
            + "\"samples_per_s_wall\": \(fmt(r.wallSamplesPerSecond, 0)), "
            + "\"samples_per_cpu_s\": \(fmt(r.cpuSamplesPerSecond, 0)), "
            + "\"samples_per_s_training_only\": \(fmt(r.trainerSamplesPerSecond, 0)), "
            + "\"gemm_share\": \(fmt(r.gemmShare, 3)), \"narrow_gemm_share\": \(fmt(r.narrowShare, 3)), "
            + "\"optimizer_share\": \(fmt(r.optimizerShare, 3)), "
            + "\"other_share\": \(fmt(max(0, 1 - r.gemmShare - r.optimizerShare), 3)), "
            + "\"percent_of_peak\": \(fmt(r.percentOfPeak, 1)), "
            + "\"other_load_cores\": \(r.otherLoad.map { fmt($0, 2) } ?? "null"), "
            + "\"loss_checksum\": \"\(String(r.lossChecksum, radix: 16))\"}"
        }.joined(separator: ", ")
        out += "]"
        if let eval {
            out += ", \"evaluation_share_1_epoch_D99\": \(fmt(eval.share, 3)), "
                + "\"trial_seconds_1_epoch_D99\": \(fmt(eval.seconds, 3))"
        }
        print(out + "}")
        return
    }
    print("GEMM kernels: \(GEMMKernelPath.active); measured peak: \(fmt(measuredPeak, 1)) GFLOP/s (\(GEMMKernelPath.active.lanes)-lane FMA, 1 core)"
          + (statedPeak.map { "; %peak below is of the stated \(fmt($0, 1))" } ?? ""))
    print("batch 200, H 256, 10 classes, float32, synthetic 49,000 × D; median of \(repeats) trainings")
    print(pad("workload", 30, left: true) + pad("iters", 6) + pad("wall/s", 10) + pad("/CPU s", 10)
          + pad("train/s", 10) + pad("GEMM%", 7) + pad("10-w%", 7) + pad("opt%", 7) + pad("rest%", 7)
          + pad("%peak", 7) + pad("others", 7) + "  loss checksum")
    for r in results {
        print(pad(r.workload.name, 30, left: true)
              + pad("\(r.workload.config.length.iterationCount(trainRows: 49_000, batchSize: 200))", 6)
              + pad(fmt(r.wallSamplesPerSecond, 0), 10) + pad(fmt(r.cpuSamplesPerSecond, 0), 10)
              + pad(fmt(r.trainerSamplesPerSecond, 0), 10) + pad(fmt(100 * r.gemmShare, 1), 7)
              + pad(fmt(100 * r.narrowShare, 1), 7) + pad(fmt(100 * r.optimizerShare, 1), 7)
              + pad(fmt(100 * max(0, 1 - r.gemmShare - r.optimizerShare), 1), 7)
              + pad(fmt(r.percentOfPeak, 1), 7) + pad(r.otherLoad.map { fmt($0, 2) } ?? "?", 7)
              + "  " + String(r.lossChecksum, radix: 16))
    }
    print("(wall/s: samples per wall second of the whole train call, per-epoch evaluation included;"
          + " /CPU s: per CPU second of the process; train/s: the trainer's figure, training"
          + " iterations only; GEMM%: wall share in gemm (fused bias/ReLU/BatchNorm-backward included);"
          + " 10-w%: the part of it in GEMMs with a dimension ≤ 16 (the 10-class layer);"
          + " opt%: optimizer updates; rest%: everything else (activations, softmax, BatchNorm forward,"
          + " sampling, evaluation outside GEMMs); %peak: training FLOPs per CPU second"
          + " over one core's peak; others: cores used by other processes meanwhile)")
    if let eval {
        print("evaluation share of a 1-epoch D=99 trial (default Trainer: per-epoch validation,"
              + " final validation + 10,000 training rows): \(fmt(100 * eval.share, 1)) % of"
              + " \(fmt(eval.seconds * 1000, 0)) ms")
    }
}
