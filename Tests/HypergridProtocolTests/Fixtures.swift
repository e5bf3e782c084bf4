import HypergridPrimitives
import HypergridProtocol
import HypergridSearchSpace
import HypergridTestSupport

/// Builds valid messages of every type, with values chosen to reach edge cases: empty and
/// multi-byte strings, NaN/∞/-0 floats, Int.min/max, absent and present optionals.
struct MessageFactory {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }

    mutating func anyInt() -> Int {
        [Int.min, -1, 0, 1, Int.max, int(-1_000_000...1_000_000)][int(0...5)]
    }
    mutating func double() -> Double {
        let special: [Double] = [0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude,
                                 .greatestFiniteMagnitude, Double(bitPattern: 0x7FF0_0000_0000_0001)]
        return bool() ? special[int(0...special.count - 1)] : Double.random(in: -1e6...1e6, using: &rng)
    }
    mutating func float() -> Float {
        bool() ? [Float.nan, .infinity, -0.0, .leastNonzeroMagnitude][int(0...3)] : Float.random(in: -10...10, using: &rng)
    }
    mutating func optional<T>(_ make: (inout MessageFactory) -> T) -> T? { bool() ? make(&self) : nil }

    mutating func string() -> String {
        let pieces = ["", "a", "host-17:4242", "é", "🚀", "日本", "\u{0}", "x86-64-v3 avx2 fma", "/data/cifar-10"]
        return (0..<int(0...3)).map { _ in pieces[int(0...pieces.count - 1)] }.joined()
    }
    mutating func trialID() -> TrialID {
        let digits = Array("0123456789abcdef")
        return TrialID(hex: String((0..<64).map { _ in digits[int(0...15)] }))!
    }

    mutating func config() -> TrialConfig {
        var c = TrialConfig(
            hidden: (0..<int(0...4)).map { _ in int(1...4096) }, batchNorm: bool(),
            optimizer: OptimizerKind.allCases[int(0...3)], momentum: double(), learningRate: double(),
            learningRateDecay: double(), reg: double(), batchSize: anyInt(),
            length: bool() ? .iterations(anyInt()) : .epochs(anyInt()),
            initScheme: bool() ? .he : .gaussian(std: [1e-4, 0.01, .leastNonzeroMagnitude, 3][int(0...3)]),
            seed: UInt64.random(in: 0...UInt64.max, using: &rng), lossEvery: anyInt())
        c.stopAfterEpochs = optional { $0.anyInt() }
        c.refit = optional { $0.bool() ? .train : .trainValidation }
        // Model features in all three states (absent, off, on).
        c.dropout = optional { $0.double() }
        c.horizontalFlip = optional { $0.bool() }
        c.schedule = optional { LearningRateSchedule.allCases[$0.int(0...1)] }
        c.warmupEpochs = optional { $0.double() }
        return c
    }
    mutating func dataset() -> DatasetSpec {
        var spec = DatasetSpec(kind: DatasetSpec.Kind.allCases[int(0...7)], path: optional { $0.string() },
                               trainRows: optional { $0.anyInt() }, validationRows: optional { $0.anyInt() },
                               testRows: optional { $0.anyInt() }, standardize: bool(),
                               pcaVariance: optional { $0.double() })
        spec.task = optional { DatasetSpec.Task.allCases[$0.int(0...1)] }
        if spec.kind.isFileFormat {
            var f = FileSourceSpec()
            f.label = optional { $0.string() }
            f.delimiter = optional { $0.string() }
            f.features = optional { g in [g.string(), g.string()] }
            f.exclude = bool() ? [string()] : []
            f.missing = FileSourceSpec.MissingPolicy.allCases[int(0...2)]
            f.task = optional { FileSourceSpec.Task.allCases[$0.int(0...1)] }
            f.x = optional { $0.string() }
            f.y = optional { $0.string() }
            f.images = optional { $0.string() }
            f.labels = optional { $0.string() }
            f.xName = string()
            f.yName = string()
            f.validationFraction = optional { Double($0.int(0...99)) / 100 }
            f.testFraction = optional { Double($0.int(0...99)) / 100 }
            f.testPath = optional { $0.string() }
            f.splitSeed = UInt64(int(0...1_000_000))
            spec.file = f
        }
        return spec
    }
    mutating func outcome(curve: Int? = nil) -> TrialOutcome {
        var metrics = TrialMetrics(
            status: [TrialStatus.done, .diverged, .failed][int(0...2)],
            trainAccuracy: optional { $0.double() }, validationAccuracy: optional { $0.double() },
            testAccuracy: optional { $0.double() }, finalLoss: optional { $0.double() },
            iterations: anyInt(), wallSeconds: double(), samplesPerSecond: double(),
            reason: optional { $0.string() })
        metrics.resumedAt = optional { $0.anyInt() }
        // Regression blocks in every combination of present and absent.
        metrics.trainRegression = optional { RegressionMetrics(rmse: $0.double(), mae: $0.double(), r2: $0.double()) }
        metrics.validationRegression = optional { RegressionMetrics(rmse: $0.double(), mae: $0.double(), r2: $0.double()) }
        metrics.testRegression = optional { RegressionMetrics(rmse: $0.double(), mae: $0.double(), r2: $0.double()) }
        let epochs = int(0...5)
        var history = TrialHistory(lossEvery: anyInt(), loss: (0..<(curve ?? int(0...20))).map { _ in float() },
                                   trainAccuracy: (0..<epochs).map { _ in double() },
                                   validationAccuracy: (0..<epochs).map { _ in double() })
        history.validationRMSE = optional { f in (0..<epochs).map { _ in f.double() } }
        return TrialOutcome(metrics: metrics, history: history)
    }

    /// A random valid message of `type`.
    mutating func message(_ type: MessageType) -> Message {
        switch type {
        case .ready:
            return .ready(WorkerHello(numericsVersion: string(), programVersion: string(), workerName: string(),
                                      cpuFeatures: string(), threadCount: anyInt(),
                                      cachedDatasets: (0..<int(0...3)).map { _ in string() },
                                      prefetch: int(0...3) == 0 ? int(1...WorkerHello.maxPrefetch) : 0))
        case .progress:
            return .progress(TrialProgress(trialID: trialID(), attempt: u32(), epoch: anyInt(),
                                           iteration: anyInt(), loss: double(),
                                           validationAccuracy: optional { $0.double() }))
        case .result:
            var outcome = outcome()
            outcome.digest = optional { Hex.string($0.bytes(32)) }
            return .result(TrialReport(trialID: trialID(), attempt: u32(), token: bytes(int(0...1) * 32), outcome: outcome,
                                       checkpoint: optional { $0.bytes($0.int(0...300)) }))
        case .goodbye: return .goodbye(abandoned: optional { $0.trialID() })
        case .datasetRequest: return .datasetRequest(fingerprint: string(), chunkIndex: u32())
        case .heartbeat: return .heartbeat
        case .assign:
            var assignment = Assignment(trialID: trialID(), attempt: u32(), config: config(),
                                        dataset: dataset(), datasetFingerprint: string(), saveCheckpoint: bool(),
                                        checkpoint: optional { $0.bytes($0.int(0...300)) }, token: bytes(int(0...1) * 32))
            assignment.sendDigest = bool()
            return .assign(assignment)
        case .ack: return .ack(trialID())
        case .refuse: return .refuse(reason: string())
        case .shutdown: return .shutdown
        case .noWork: return .noWork(retryAfterMilliseconds: u32())
        case .datasetChunk:
            let total = UInt32(int(1...1000))
            return .datasetChunk(DatasetChunk(fingerprint: string(), index: UInt32(int(0...Int(total) - 1)),
                                              total: total, bytes: bytes(int(0...300))))
        case .datasetUnavailable: return .datasetUnavailable(fingerprint: string(), reason: string())
        case .quarantine: return .quarantine(reason: string())
        case .abandon: return .abandon(trialID())
        }
    }

    mutating func anyMessage() -> Message { message(MessageType.allCases[int(0...MessageType.allCases.count - 1)]) }
}

/// A typical assignment: the seed's two-layer net on CIFAR-10.
let sampleAssignment = Assignment(
    trialID: TrialID(config: TrialConfig(), datasetFingerprint: "cifar10-std"), attempt: 1,
    config: TrialConfig(hidden: [512, 256], batchNorm: true, optimizer: .adam, learningRate: 3e-4,
                        length: .epochs(10), initScheme: .he, seed: 42, lossEvery: 10),
    dataset: DatasetSpec(kind: .cifar10, path: "/data/cifar-10-batches-bin", trainRows: 49_000,
                         validationRows: 1_000, testRows: 10_000, pcaVariance: 0.99),
    datasetFingerprint: "cifar10-std", token: Array(repeating: 0xA5, count: 32))

/// A typical result: `lossCount` recorded losses and ten epochs of accuracies.
func sampleReport(lossCount: Int) -> TrialReport {
    TrialReport(answering: sampleAssignment, outcome: TrialOutcome(
        metrics: TrialMetrics(status: .done, trainAccuracy: 0.61, validationAccuracy: 0.53,
                              testAccuracy: 0.52, finalLoss: 1.31, iterations: 2450,
                              wallSeconds: 93.5, samplesPerSecond: 5240),
        history: TrialHistory(lossEvery: 10, loss: (0..<lossCount).map { 2.3 - Float($0) * 1e-4 },
                              trainAccuracy: (0..<10).map { 0.3 + Double($0) * 0.03 },
                              validationAccuracy: (0..<10).map { 0.28 + Double($0) * 0.025 })))
}
