import HypergridKernel
import HypergridData
import HypergridPreprocessing

/// The part of a model that turns raw rows into the network's input: column encoding
/// (``InputSchema``), standardisation and the optional PCA projection, all fitted on the
/// training split (`PreparedDataset.schema`, `.standardizer`, `.pca`).
public struct InputPipeline: Sendable, Equatable {
    public var schema: InputSchema
    public var standardizer: Standardizer
    public var projection: PCAProjection?

    public init(schema: InputSchema, standardizer: Standardizer, projection: PCAProjection?) {
        self.schema = schema
        self.standardizer = standardizer
        self.projection = projection
    }
}

extension TrainedModel {
    /// A model from its pipeline and trained network state.
    public init(trialID: String, configJSON: String, numerics: String, datasetName: String,
                datasetFingerprint: String, validationMetric: Double?, testMetric: Double?,
                pipeline: InputPipeline, shape: MLPShape, weights: [Float]) {
        self.init(trialID: trialID, configJSON: configJSON, numerics: numerics, datasetName: datasetName,
                  datasetFingerprint: datasetFingerprint, validationMetric: validationMetric, testMetric: testMetric,
                  schema: pipeline.schema, standardizer: pipeline.standardizer, projection: pipeline.projection,
                  shape: shape, weights: weights)
    }

    /// The pipeline part of the model.
    public var pipeline: InputPipeline {
        InputPipeline(schema: schema, standardizer: standardizer, projection: projection)
    }
}

extension InputPipeline {
    /// The pipeline that prepared `prepared`, or nil when the data carries none.
    public init?(_ prepared: PreparedDataset) {
        guard let schema = prepared.schema, let standardizer = prepared.standardizer else { return nil }
        self.init(schema: schema, standardizer: standardizer, projection: prepared.pca)
    }
}
