import HypergridData
import HypergridSearchSpace

extension Trainer {
    /// Why `config` cannot be trained on `data`, or nil if it can. The kernel is compiled
    /// `-Ounchecked` and trusts its shapes and labels, so everything it relies on is
    /// checked here first.
    static func validate(config: TrialConfig, data: DatasetSplits) -> String? {
        // The config's ranges are the grid file's and the `train` command's (one set of
        // rules in HypergridSearchSpace); they include what the kernel needs of it: widths,
        // batch size and loss stride at least 1, finite rates. Checked again here because a
        // config can come from anywhere: the wire, a test, a benchmark.
        if let problem = config.validationProblems().first { return problem.description }
        // A halving budget comes from the scheduler, not a person; still, the loop bounds
        // rely on it.
        if let stop = config.stopAfterEpochs, stop < 1 { return "stopAfterEpochs must be at least 1, got \(stop)" }
        // Halving continues trials from checkpoints, which keep no best weights (the grid
        // parser refuses the combination; a config can come from elsewhere).
        if config.stopAfterEpochs != nil, config.earlyStopping(lowerIsBetter: false) != nil {
            return "\(ConfigField.earlyStop.rawValue): does not combine with a halving budget (stopAfterEpochs)"
        }
        // What the kernel trusts about the data.
        if data.featureCount < 1 { return "the dataset has no features" }
        if data.classCount < 1 { return "the dataset has no classes" }
        if isRegression(data), let problem = targetProblem(data) { return problem }
        if data.train.rows < 1 { return "the training split is empty" }
        if data.train.rows > Int(Int32.max) { return "the training split has more than 2³¹ rows" }
        for (name, split) in [("train", data.train), ("validation", data.validation), ("test", data.test)] {
            if let bad = split.labels.first(where: { $0 < 0 || Int($0) >= data.classCount }) {
                return "\(name) label \(bad) is outside 0..<\(data.classCount)"
            }
        }
        // The model features' own needs of the data.
        if config.flipsHorizontally && data.imageLayout == nil {
            return "\(ConfigField.horizontalFlip.rawValue): needs rows that are image pixels, but this dataset's are not (PCA components or synthetic data)"
        }
        if config.labelSmoothing != nil, isRegression(data) {
            return "\(ConfigField.labelSmoothing.rawValue): needs class labels; this dataset's targets are regression values"
        }
        if config.mixupAlpha > 0, isRegression(data) {
            return "\(ConfigField.mixUp.rawValue): needs class labels; this dataset's targets are regression values"
        }
        if let crop = config.randomCrop {
            guard let image = data.imageLayout else {
                return "\(ConfigField.randomCrop.rawValue): needs rows that are image pixels, but this dataset's are not (PCA components or synthetic data)"
            }
            if crop >= min(image.height, image.width) {
                return "\(ConfigField.randomCrop.rawValue): a shift of \(crop) pixels is not smaller than the \(image.height)×\(image.width) images"
            }
        }
        if config.dropoutRate > 0 || config.flipsHorizontally || config.randomCrop != nil || config.mixupAlpha > 0 {
            // Masks, flips, crops and MixUp's weights are keyed by the iteration in 32 bits.
            let total = config.length.iterationCount(trainRows: data.train.rows, batchSize: config.batchSize)
            if total >= 1 << 32 { return "training runs \(total) iterations; dropout, flips, crops and MixUp support fewer than 2³²" }
        }
        return nil
    }
}

extension Trainer {
    /// The splits of a `refit: train+validation` trial: the validation rows appended to the
    /// training rows, and an empty validation split (those rows are now trained on, so an
    /// accuracy on them would say nothing). The test split is untouched.
    static func mergingValidation(into data: DatasetSplits) -> DatasetSplits {
        let (train, validation) = (data.train, data.validation)
        let columns = train.columns
        let rows = train.rows + validation.rows
        let storage = FloatStorage(zeroedCount: rows * columns)
        storage.base.update(from: train.features.base, count: train.rows * columns)
        (storage.base + train.rows * columns).update(from: validation.features.base, count: validation.rows * columns)
        var merged = LabeledMatrix(rows: rows, columns: columns, features: storage,
                                   labels: train.labels + validation.labels)
        var empty = LabeledMatrix(rows: 0, columns: columns, features: FloatStorage(zeroedCount: 0), labels: [])
        if let t = train.targets, let v = validation.targets {
            (merged.targets, merged.targetCount) = (t + v, train.targetCount)
            (empty.targets, empty.targetCount) = ([], train.targetCount)
        }
        var splits = DatasetSplits(name: data.name, classCount: data.classCount, train: merged,
                                   validation: empty, test: data.test)
        // The schema says how the targets were standardised (on the training split: the
        // network learns the same numbers either way).
        (splits.schema, splits.summary) = (data.schema, data.summary)
        // Still images: flips and crops of a refit need the layout as much as the search did.
        splits.imageLayout = data.imageLayout
        return splits
    }
}
