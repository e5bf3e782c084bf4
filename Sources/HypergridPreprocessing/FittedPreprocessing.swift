import HypergridData

/// The PCA step of a prepared dataset as a model needs it to project new rows: the retained
/// axes, nothing of the fit. Kept apart from ``PCA`` so that a cache hit can carry it without
/// refitting.
public struct PCAProjection: Sendable, Equatable {
    /// Input features `D` (after standardisation).
    public let features: Int
    /// Retained components `k`.
    public let components: Int
    /// `k × D` row-major unit-length axes: component `r` of a standardised row `x` is
    /// `Σ_j basis[r·D + j]·x[j]`.
    public let basis: [Float]
    /// The share of the training variance the components explain.
    public let retainedVariance: Double

    public init(features: Int, components: Int, basis: [Float], retainedVariance: Double) {
        precondition(basis.count == features * components, "basis must be components × features")
        self.features = features
        self.components = components
        self.basis = basis
        self.retainedVariance = retainedVariance
    }

    /// The axes of a fitted PCA.
    public init(_ pca: PCA) {
        self.init(features: pca.features, components: pca.components, basis: pca.basis,
                  retainedVariance: pca.retainedVariance)
    }
}

extension InputSchema {
    /// The schema of a built-in dataset (array data, classes named as their publishers do).
    static func builtIn(_ kind: DatasetRequest.Kind, splits: DatasetSplits) -> InputSchema {
        let names: [String]
        switch kind {
        case .cifar10:
            names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        case .fashionMNIST:
            names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        default:
            names = (0..<splits.classCount).map(String.init)
        }
        return InputSchema(columns: nil, arrayFeatureCount: splits.featureCount, target: .classes(names: names),
                           imageLayout: splits.imageLayout)
    }
}

extension LabeledMatrix {
    /// This matrix's regression targets carried onto `other` (the same rows, other features).
    func carryingTargets(to other: LabeledMatrix) -> LabeledMatrix {
        var m = other
        m.targets = targets
        m.targetCount = targetCount
        return m
    }
}
