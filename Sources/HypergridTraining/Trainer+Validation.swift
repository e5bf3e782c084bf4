import HypergridData
import HypergridSearchSpace

extension Trainer {
    /// Why `config` cannot be trained on `data`, or nil if it can. The kernel is compiled
    /// `-Ounchecked` and trusts its shapes and labels, so everything it relies on is
    /// checked here first.
    static func validate(config: TrialConfig, data: DatasetSplits) -> String? {
        if config.batchSize < 1 { return "batch size must be at least 1, got \(config.batchSize)" }
        if let bad = config.hidden.first(where: { $0 < 1 }) {
            return "hidden widths must be positive, got \(bad)"
        }
        if config.lossEvery < 1 { return "lossEvery must be at least 1, got \(config.lossEvery)" }
        let numbers: [(String, Double)] = [("learning rate", config.learningRate),
                                           ("learning-rate decay", config.learningRateDecay),
                                           ("reg", config.reg), ("momentum", config.momentum)]
        for (name, value) in numbers where !value.isFinite || value < 0 {
            return "\(name) must be finite and non-negative, got \(value)"
        }
        if case .gaussian(let std) = config.initScheme, !(std.isFinite && std > 0) {
            return "init std must be finite and positive, got \(std)"
        }
        switch config.length {
        case .iterations(let n) where n < 0: return "iteration count must not be negative, got \(n)"
        case .epochs(let e) where e < 0: return "epoch count must not be negative, got \(e)"
        default: break
        }
        if data.featureCount < 1 { return "the dataset has no features" }
        if data.classCount < 1 { return "the dataset has no classes" }
        if data.train.rows < 1 { return "the training split is empty" }
        if data.train.rows > Int(Int32.max) { return "the training split has more than 2³¹ rows" }
        for (name, split) in [("train", data.train), ("validation", data.validation), ("test", data.test)] {
            if let bad = split.labels.first(where: { $0 < 0 || Int($0) >= data.classCount }) {
                return "\(name) label \(bad) is outside 0..<\(data.classCount)"
            }
        }
        return nil
    }
}
