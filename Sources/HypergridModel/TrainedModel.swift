import Foundation
import HypergridData
import HypergridKernel
import HypergridPreprocessing

/// A trained network with everything needed to use it away from the search that made it:
/// the input pipeline (column encoding, standardisation, PCA basis), the architecture, the
/// weights with the BatchNorm running statistics, what the outputs mean (class names or
/// target scaling), and where it came from (trial id, configuration, dataset, metrics).
///
/// On disk it is an `.hgmodel` file (``encoded()``): the magic `HGMD`, a format version,
/// little-endian fields in the layout of ``LittleEndianWriter`` (the one training
/// checkpoints use), closed by a CRC-32 of everything before it.
public struct TrainedModel: Sendable, Equatable {
    /// The layout this build writes; it reads this version and every earlier one.
    public static let formatVersion: UInt16 = 1
    static let magic: [UInt8] = Array("HGMD".utf8)
    /// The extension model files carry.
    public static let fileExtension = "hgmodel"

    /// The 64-hex-digit trial id of the trial that trained it.
    public var trialID: String
    /// The trial's canonical configuration (JSON with sorted keys, as the trial id hashes it).
    public var configJSON: String
    /// The training numerics version (`HypergridVersion.numerics`).
    public var numerics: String
    /// The dataset's name and fingerprint (`PreparedDataset.fingerprint`).
    public var datasetName: String
    public var datasetFingerprint: String
    /// The validation and test metric measured when it was trained (accuracy for
    /// classification), if any.
    public var validationMetric: Double?
    public var testMetric: Double?

    /// Raw rows → features, and outputs → labels.
    public var schema: InputSchema
    /// Per-feature centring and scaling fitted on the training split.
    public var standardizer: Standardizer
    /// The PCA projection applied after standardisation, if any.
    public var projection: PCAProjection?
    /// The network: `shape.inputWidth` is the PCA's component count (or the feature count),
    /// `shape.classCount` the number of outputs.
    public var shape: MLPShape
    /// `MLP.exportState()`: every parameter tensor, then each BatchNorm layer's running
    /// mean and variance.
    public var weights: [Float]

    public init(trialID: String, configJSON: String, numerics: String, datasetName: String,
                datasetFingerprint: String, validationMetric: Double?, testMetric: Double?,
                schema: InputSchema, standardizer: Standardizer, projection: PCAProjection?,
                shape: MLPShape, weights: [Float]) {
        self.trialID = trialID
        self.configJSON = configJSON
        self.numerics = numerics
        self.datasetName = datasetName
        self.datasetFingerprint = datasetFingerprint
        self.validationMetric = validationMetric
        self.testMetric = testMetric
        self.schema = schema
        self.standardizer = standardizer
        self.projection = projection
        self.shape = shape
        self.weights = weights
    }

    /// Features per row after column encoding: what the pipeline takes.
    public var featureCount: Int { standardizer.mean.count }
    /// Network outputs: classes or regression targets.
    public var outputCount: Int { shape.classCount }

    /// Floats `MLP.exportState()` holds for `shape`: each layer's weight matrix, its bias or
    /// BatchNorm γ and β, and the BatchNorm running mean and variance.
    public static func stateCount(of shape: MLPShape) -> Int {
        let w = shape.widths
        return (0..<shape.layerCount).reduce(0) { sum, l in
            let batchNorm = shape.batchNorm && l < shape.layerCount - 1
            return sum + w[l] * w[l + 1] + (batchNorm ? 4 : 1) * w[l + 1]
        }
    }

    /// Why the parts do not fit together, or nil: the checks a decoded file must pass before
    /// the kernel (which trusts its shapes) sees it.
    public var inconsistency: String? {
        let d = featureCount
        if d < 1 { return "it has no input features" }
        if standardizer.scale.count != d { return "its standardisation has \(standardizer.scale.count) scales for \(d) means" }
        if schema.featureCount != d {
            return "its input schema encodes \(schema.featureCount) features but its standardisation has \(d)"
        }
        if let p = projection {
            if p.features != d { return "its PCA basis takes \(p.features) features, not \(d)" }
            if p.components < 1 || p.basis.count != p.components * p.features {
                return "its PCA basis holds \(p.basis.count) values, not \(p.components) × \(p.features)"
            }
        }
        let width = projection?.components ?? d
        if shape.inputWidth != width { return "its network takes \(shape.inputWidth) inputs, not \(width)" }
        if shape.classCount < 1 || shape.hidden.contains(where: { $0 < 1 }) { return "its network has a layer without units" }
        if schema.target.outputCount != shape.classCount {
            return "its network has \(shape.classCount) outputs but its schema names \(schema.target.outputCount)"
        }
        if weights.count != Self.stateCount(of: shape) {
            return "it holds \(weights.count) weights where its architecture needs \(Self.stateCount(of: shape))"
        }
        if !weights.allSatisfy(\.isFinite) { return "its weights are not all finite" }
        return nil
    }
}

extension TrainedModel {
    /// A search's final refit (its configuration names the splits it was refitted on).
    public var isRefit: Bool {
        let object = try? JSONSerialization.jsonObject(with: Data(configJSON.utf8)) as? [String: Any]
        return object?["refit"] != nil
    }
}
