import Foundation

extension DatasetRequest {
    /// The files ``loadRawSplits()`` reads, in a fixed order (empty for synthetic data).
    /// Their contents identify the data in the dataset fingerprint.
    ///
    /// Throws `missingDirectory` / `missingFile` naming what is absent.
    public func sourceFiles() throws -> [URL] {
        try validateParameters()
        if kind.isFileFormat { return try FileDataset.sourceFiles(self) }
        guard let dir = resolvedDirectory else { return [] }
        switch kind {
        case .cifar10: return try CIFAR10.sourceFiles(directory: dir, wantsTest: testRows != 0)
        case .fashionMNIST, .mnist: return try IDXDataset.sourceFiles(self, directory: dir)
        case .synthetic, .csv, .npy, .npz, .idx: return []
        }
    }

    /// The split sizes this request resolves to, from file sizes and headers only (cheap:
    /// no pixel is decoded), with the kind's defaults applied and checked against the data.
    ///
    /// A user's file (`csv`, `npy`, …) has to be read for that: the sizes come from loading it.
    public func resolveSplitSizes() throws -> SplitSizes {
        if kind.isFileFormat {
            let s = try loadRawSplits()
            return SplitSizes(train: s.train.rows, validation: s.validation.rows, test: s.test.rows)
        }
        guard let dir = resolvedDirectory else { return try SyntheticDataset.splitSizes(self) }
        switch kind {
        case .cifar10: return try CIFAR10.splitSizes(self, directory: dir)
        case .fashionMNIST, .mnist: return try IDXDataset.splitSizes(self, directory: dir)
        case .synthetic, .csv, .npy, .npz, .idx: return try SyntheticDataset.splitSizes(self)
        }
    }

    /// Reads (or generates) the raw splits: pixel values 0–255 as float32 for image datasets,
    /// before any centring, standardisation or PCA.
    public func loadRawSplits() throws -> DatasetSplits { try loadRawSplits(log: nil) }

    /// ``loadRawSplits()``, with `log` receiving what a user's file needed (imputed cells,
    /// dropped rows, unseen categories, columns taken as categories).
    public func loadRawSplits(log: ((String) -> Void)?) throws -> DatasetSplits {
        try validateParameters()
        if kind.isFileFormat { return try FileDataset.load(self, log: log) }
        guard let dir = resolvedDirectory else {
            return try generateSynthetic()
        }
        switch kind {
        case .cifar10: return try CIFAR10.load(self, directory: dir)
        case .fashionMNIST, .mnist: return try IDXDataset.load(self, directory: dir)
        case .csv, .npy, .npz, .idx: return try FileDataset.load(self, log: log)
        case .synthetic: return try generateSynthetic()
        }
    }

    /// The synthetic splits of this request's task.
    private func generateSynthetic() throws -> DatasetSplits {
        let sizes = try SyntheticDataset.splitSizes(self)
        switch task {
        case .classification:
            return SyntheticDataset.generate(sizes: sizes, features: syntheticFeatures, classes: syntheticClasses,
                                             seed: syntheticSeed)
        case .regression:
            return SyntheticDataset.generateRegression(sizes: sizes, features: syntheticFeatures,
                                                       targets: syntheticTargets, seed: syntheticSeed)
        }
    }
}
