import Foundation
import HypergridSearchSpace

// The structured values travel in a binary layout rather than as JSON inside a bytes field:
//  - canonical by construction: every value has exactly one encoding, so a decoder can insist
//    that an accepted frame re-encodes to the same bytes (JSON admits whitespace, key order
//    and number spellings that would all decode to the same value);
//  - exact: Double/Float travel as IEEE bits, so a diverged trial's NaN/∞ losses arrive
//    (Foundation's JSONEncoder throws on them) and accuracies are bit-identical;
//  - fast: a result with a long loss curve is a loop over 4-byte words, not text formatting.
// The cost: adding a field to TrialConfig, DatasetSpec or TrialOutcome needs a change here and
// a WireFormat.version bump; a test pins the field lists so that the change cannot be missed.
// Enum cases map to explicit tags (not declaration order), so reordering cases changes nothing.

extension WireWriter {
    mutating func config(_ c: TrialConfig) throws(ProtocolError) {
        try count(c.hidden.count, "config.hidden")
        for width in c.hidden { i64(width) }
        bool(c.batchNorm)
        switch c.optimizer {
        case .sgd: u8(0)
        case .momentum: u8(1)
        case .nesterov: u8(2)
        case .adam: u8(3)
        }
        f64(c.momentum)
        f64(c.learningRate)
        f64(c.learningRateDecay)
        f64(c.reg)
        i64(c.batchSize)
        switch c.length {
        case .iterations(let n): u8(0); i64(n)
        case .epochs(let n): u8(1); i64(n)
        }
        switch c.initScheme {
        case .he: u8(0)
        case .gaussian(let std):
            // The decoder refuses what `InitScheme(parsing:)` refuses; so must the encoder.
            guard std > 0, std.isFinite else { throw invalidStd(std) }
            u8(1); f64(std)
        }
        u64(c.seed)
        i64(c.lossEvery)
        optional(c.stopAfterEpochs)
        switch c.refit {
        case nil: u8(0)
        case .trainValidation?: u8(1)
        case .train?: u8(2)
        }
        // Model features (issue #8, version 4). Every optional keeps its three states
        // (absent, off, on) so that any config re-encodes to the same bytes.
        optional(c.dropout)
        switch c.horizontalFlip {
        case nil: u8(0)
        case false?: u8(1)
        case true?: u8(2)
        }
        switch c.schedule {
        case nil: u8(0)
        case .step?: u8(1)
        case .cosine?: u8(2)
        }
        optional(c.warmupEpochs)
        // Fields added through the field table (TrialFieldExtension), in table order; none
        // before protocol version 5, so older layouts are unchanged.
        for (_, added) in TrialField.extensions { try fieldValue(added.value(of: c)) }
    }

    /// A tagged ``FieldValue``: 0 null, 1 false, 2 true, 3 whole number, 4 number, 5 text,
    /// 6 list of whole numbers.
    mutating func fieldValue(_ value: FieldValue) throws(ProtocolError) {
        switch value {
        case .null: u8(0)
        case .bool(let b): u8(b ? 2 : 1)
        case .int(let n): u8(3); i64(n)
        case .double(let x): u8(4); f64(x)
        case .string(let s): u8(5); try string(s, "config.added")
        case .ints(let list):
            u8(6)
            try count(list.count, "config.added")
            for n in list { i64(n) }
        }
    }

    mutating func dataset(_ d: DatasetSpec) throws(ProtocolError) {
        // A built-in dataset's task (issue #15) sets the kind tag's high bit and follows the
        // other fields; without one (every spec before it) the bytes are those they were.
        let task: UInt8 = d.task == nil ? 0 : taskFlag
        switch d.kind {
        case .cifar10: u8(0 | task)
        case .fashionMNIST: u8(1 | task)
        case .mnist: u8(2 | task)
        case .synthetic: u8(3 | task)
        case .csv: u8(4 | task)
        case .npy: u8(5 | task)
        case .npz: u8(6 | task)
        case .idx: u8(7 | task)
        }
        try optional(d.path, "dataset.path")
        optional(d.trainRows)
        optional(d.validationRows)
        optional(d.testRows)
        bool(d.standardize)
        optional(d.pcaVariance)
        // The user's-file kinds (tags 4–7) only: their file keys as JSON with sorted keys
        // (one spelling per value, so a re-encode check still holds), after the fields every
        // kind has. Tags 4–7 came without a WireFormat.version bump so that the built-in kinds'
        // frames stay byte-identical; a peer that predates them rejects such an assignment as
        // an unknown dataset.kind tag.
        if d.kind.isFileFormat {
            try string(Self.fileJSON(d.file ?? FileSourceSpec()), "dataset.file")
        }
        switch d.task {
        case nil: break
        case .classification?: u8(0)
        case .regression?: u8(1)
        }
    }

    static func fileJSON(_ file: FileSourceSpec) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and arrays of strings cannot fail to encode.
        return String(decoding: try! encoder.encode(file), as: UTF8.self)
    }

    mutating func outcome(_ o: TrialOutcome) throws(ProtocolError) {
        let m = o.metrics
        // Regression results (issue #15) set the status tag's high bit and append their block
        // after the history: a classification result, which has no such block, keeps exactly
        // the bytes it had (tested), and a decoder knows from the first byte whether it follows.
        let regression = m.trainRegression != nil || m.validationRegression != nil
            || m.testRegression != nil || o.history.validationRMSE != nil
        let flag: UInt8 = regression ? regressionFlag : 0
        switch m.status {
        case .done: u8(0 | flag)
        case .diverged: u8(1 | flag)
        case .failed: u8(2 | flag)
        }
        optional(m.trainAccuracy)
        optional(m.validationAccuracy)
        optional(m.testAccuracy)
        optional(m.finalLoss)
        i64(m.iterations)
        f64(m.wallSeconds)
        f64(m.samplesPerSecond)
        try optional(m.reason, "outcome.metrics.reason")
        optional(m.resumedAt)
        let h = o.history
        i64(h.lossEvery)
        try count(h.loss.count, "outcome.history.loss")
        words(h.loss.map(\.bitPattern))
        try count(h.trainAccuracy.count, "outcome.history.trainAccuracy")
        words(h.trainAccuracy.map(\.bitPattern))
        try count(h.validationAccuracy.count, "outcome.history.validationAccuracy")
        words(h.validationAccuracy.map(\.bitPattern))
        guard regression else { return }
        for r in [m.trainRegression, m.validationRegression, m.testRegression] {
            presence(r != nil)
            if let r { f64(r.rmse); f64(r.mae); f64(r.r2) }
        }
        presence(h.validationRMSE != nil)
        if let curve = h.validationRMSE {
            try count(curve.count, "outcome.history.validationRMSE")
            words(curve.map(\.bitPattern))
        }
    }
}

/// The bit of the status tag that says a regression block follows the history.
private let regressionFlag: UInt8 = 0x80
/// The bit of the dataset kind tag that says a task byte follows the dataset's fields.
private let taskFlag: UInt8 = 0x80

private func invalidStd(_ std: Double) -> ProtocolError {
    .invalidValue(field: "config.initScheme", reason: "a Gaussian standard deviation must be positive and finite, not \(std)")
}

extension WireReader {
    mutating func config() throws(ProtocolError) -> TrialConfig {
        var c = TrialConfig()
        let widths = try count("config.hidden", minimumSize: 8)
        c.hidden = []
        c.hidden.reserveCapacity(widths)
        for _ in 0..<widths { c.hidden.append(try i64("config.hidden")) }
        c.batchNorm = try bool("config.batchNorm")
        switch try u8("config.optimizer") {
        case 0: c.optimizer = .sgd
        case 1: c.optimizer = .momentum
        case 2: c.optimizer = .nesterov
        case 3: c.optimizer = .adam
        case let tag: throw unknownTag(tag, "config.optimizer")
        }
        c.momentum = try f64("config.momentum")
        c.learningRate = try f64("config.learningRate")
        c.learningRateDecay = try f64("config.learningRateDecay")
        c.reg = try f64("config.reg")
        c.batchSize = try i64("config.batchSize")
        switch try u8("config.length") {
        case 0: c.length = .iterations(try i64("config.length"))
        case 1: c.length = .epochs(try i64("config.length"))
        case let tag: throw unknownTag(tag, "config.length")
        }
        switch try u8("config.initScheme") {
        case 0: c.initScheme = .he
        case 1:
            let std = try f64("config.initScheme")
            guard std > 0, std.isFinite else { throw invalidStd(std) }
            c.initScheme = .gaussian(std: std)
        case let tag: throw unknownTag(tag, "config.initScheme")
        }
        c.seed = try u64("config.seed")
        c.lossEvery = try i64("config.lossEvery")
        c.stopAfterEpochs = try optionalI64("config.stopAfterEpochs")
        switch try u8("config.refit") {
        case 0: c.refit = nil
        case 1: c.refit = .trainValidation
        case 2: c.refit = .train
        case let tag: throw unknownTag(tag, "config.refit")
        }
        c.dropout = try optionalF64("config.dropout")
        switch try u8("config.horizontalFlip") {
        case 0: c.horizontalFlip = nil
        case 1: c.horizontalFlip = false
        case 2: c.horizontalFlip = true
        case let tag: throw unknownTag(tag, "config.horizontalFlip")
        }
        switch try u8("config.schedule") {
        case 0: c.schedule = nil
        case 1: c.schedule = .step
        case 2: c.schedule = .cosine
        case let tag: throw unknownTag(tag, "config.schedule")
        }
        c.warmupEpochs = try optionalF64("config.warmupEpochs")
        for (field, added) in TrialField.extensions {
            let value = try fieldValue()
            added.assign(value, to: &c)
            // Canonical: only a value the field keeps as it is (its type, its off value)
            // is accepted, so that an accepted frame re-encodes to the same bytes.
            guard Self.sameBytes(added.value(of: c), value) else {
                throw .invalidValue(field: "config.added", reason: "\(field.gridKey) cannot hold \(value)")
            }
        }
        return c
    }

    /// Whether two values have the same wire bytes (NaN included, unlike `==`).
    static func sameBytes(_ a: FieldValue, _ b: FieldValue) -> Bool {
        var x = WireWriter(type: .heartbeat, capacity: 16, limit: WireFormat.defaultMaxFrameSize)
        var y = x
        do { try x.fieldValue(a); try y.fieldValue(b) } catch { return false }
        return x.bytes == y.bytes
    }

    /// A value written by `WireWriter.fieldValue(_:)`.
    mutating func fieldValue() throws(ProtocolError) -> FieldValue {
        switch try u8("config.added") {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(try i64("config.added"))
        case 4: return .double(try f64("config.added"))
        case 5: return .string(try string("config.added"))
        case 6:
            let n = try count("config.added", minimumSize: 8)
            var list: [Int] = []
            for _ in 0..<n { list.append(try i64("config.added")) }
            return .ints(list)
        case let tag: throw unknownTag(tag, "config.added")
        }
    }

    mutating func dataset() throws(ProtocolError) -> DatasetSpec {
        let kind: DatasetSpec.Kind
        let kindTag = try u8("dataset.kind")
        switch kindTag & ~taskFlag {
        case 0: kind = .cifar10
        case 1: kind = .fashionMNIST
        case 2: kind = .mnist
        case 3: kind = .synthetic
        case 4: kind = .csv
        case 5: kind = .npy
        case 6: kind = .npz
        case 7: kind = .idx
        case let tag: throw unknownTag(tag, "dataset.kind")
        }
        var spec = DatasetSpec(kind: kind, path: try optionalString("dataset.path"),
                               trainRows: try optionalI64("dataset.trainRows"),
                               validationRows: try optionalI64("dataset.validationRows"),
                               testRows: try optionalI64("dataset.testRows"),
                               standardize: try bool("dataset.standardize"),
                               pcaVariance: try optionalF64("dataset.pcaVariance"))
        if kind.isFileFormat {
            let json = try string("dataset.file")
            guard let file = try? JSONDecoder().decode(FileSourceSpec.self, from: Data(json.utf8)),
                  WireWriter.fileJSON(file) == json else {
                throw ProtocolError.invalidValue(field: "dataset.file", reason: "not the canonical JSON of a dataset's file keys")
            }
            spec.file = file
        }
        if kindTag & taskFlag != 0 {
            switch try u8("dataset.task") {
            case 0: spec.task = .classification
            case 1: spec.task = .regression
            case let tag: throw unknownTag(tag, "dataset.task")
            }
        }
        return spec
    }

    mutating func outcome() throws(ProtocolError) -> TrialOutcome {
        let status: TrialStatus
        let statusTag = try u8("outcome.metrics.status")
        let regression = statusTag & regressionFlag != 0
        switch statusTag & ~regressionFlag {
        case 0: status = .done
        case 1: status = .diverged
        case 2: status = .failed
        case let tag: throw unknownTag(tag, "outcome.metrics.status")
        }
        var metrics = TrialMetrics(
            status: status,
            trainAccuracy: try optionalF64("outcome.metrics.trainAccuracy"),
            validationAccuracy: try optionalF64("outcome.metrics.validationAccuracy"),
            testAccuracy: try optionalF64("outcome.metrics.testAccuracy"),
            finalLoss: try optionalF64("outcome.metrics.finalLoss"),
            iterations: try i64("outcome.metrics.iterations"),
            wallSeconds: try f64("outcome.metrics.wallSeconds"),
            samplesPerSecond: try f64("outcome.metrics.samplesPerSecond"),
            reason: try optionalString("outcome.metrics.reason"))
        metrics.resumedAt = try optionalI64("outcome.metrics.resumedAt")
        var history = TrialHistory(lossEvery: try i64("outcome.history.lossEvery"))
        let losses = try count("outcome.history.loss", minimumSize: 4)
        let lossBits: [UInt32] = try words(losses, "outcome.history.loss")
        history.loss = lossBits.map(Float.init(bitPattern:))
        let train = try count("outcome.history.trainAccuracy", minimumSize: 8)
        let trainBits: [UInt64] = try words(train, "outcome.history.trainAccuracy")
        history.trainAccuracy = trainBits.map(Double.init(bitPattern:))
        let validation = try count("outcome.history.validationAccuracy", minimumSize: 8)
        let validationBits: [UInt64] = try words(validation, "outcome.history.validationAccuracy")
        history.validationAccuracy = validationBits.map(Double.init(bitPattern:))
        if regression {
            func block(_ field: StaticString) throws(ProtocolError) -> RegressionMetrics? {
                guard try presence(field) else { return nil }
                return RegressionMetrics(rmse: try f64(field), mae: try f64(field), r2: try f64(field))
            }
            metrics.trainRegression = try block("outcome.metrics.trainRegression")
            metrics.validationRegression = try block("outcome.metrics.validationRegression")
            metrics.testRegression = try block("outcome.metrics.testRegression")
            if try presence("outcome.history.validationRMSE") {
                let n = try count("outcome.history.validationRMSE", minimumSize: 8)
                let bits: [UInt64] = try words(n, "outcome.history.validationRMSE")
                history.validationRMSE = bits.map(Double.init(bitPattern:))
            }
            // The flag is set exactly when something follows, so that every outcome has one encoding.
            guard metrics.trainRegression != nil || metrics.validationRegression != nil
                    || metrics.testRegression != nil || history.validationRMSE != nil else {
                throw ProtocolError.invalidValue(field: "outcome.metrics.status",
                                                 reason: "the regression flag is set but no regression value follows")
            }
        }
        return TrialOutcome(metrics: metrics, history: history)
    }
}

private func unknownTag(_ tag: UInt8, _ field: StaticString) -> ProtocolError {
    .invalidValue(field: "\(field)", reason: "unknown tag \(tag)")
}
