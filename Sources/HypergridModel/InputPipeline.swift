import HypergridKernel
import HypergridData
import HypergridPreprocessing

/// The part of a model that turns raw rows into the network's input: column encoding
/// (``InputSchema``), standardisation and the optional PCA projection, all fitted on the
/// training split.
public struct InputPipeline: Sendable, Equatable {
    public var schema: InputSchema
    public var standardizer: Standardizer
    public var projection: TrainedModel.Projection?

    public init(schema: InputSchema, standardizer: Standardizer, projection: TrainedModel.Projection?) {
        self.schema = schema
        self.standardizer = standardizer
        self.projection = projection
    }

    /// The schema of a built-in array dataset (IDX, CIFAR-10, synthetic): every value of a
    /// row is a feature as it is, and class `k` is named `"k"`.
    public static func arraySchema(featureCount: Int, classCount: Int, imageLayout: ImageLayout?) -> InputSchema {
        InputSchema(columns: nil, arrayFeatureCount: featureCount,
                    target: .classes(names: (0..<classCount).map(String.init)), imageLayout: imageLayout)
    }

    /// Fits the pipeline on `request`'s raw training split exactly as `prepareDataset` does
    /// (the same standardisation, then PCA on the standardised rows): the same statistics,
    /// bit for bit, as those that prepared the data the model was trained on.
    public static func fit(_ request: DatasetRequest, log: ((String) -> Void)? = nil) throws -> InputPipeline {
        let raw = try request.loadRawSplits()
        let standardizer = Standardizer.fit(raw.train, divideByDeviation: request.dividesByDeviation)
        var projection: TrainedModel.Projection?
        if let fraction = request.pcaVariance {
            standardizer.apply(inPlace: raw.train)
            projection = TrainedModel.Projection(try PCA.fit(raw.train, varianceFraction: fraction, log: log))
        }
        let schema = arraySchema(featureCount: raw.featureCount, classCount: raw.classCount,
                                 imageLayout: raw.imageLayout)
        return InputPipeline(schema: schema, standardizer: standardizer, projection: projection)
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
