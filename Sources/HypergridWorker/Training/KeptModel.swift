import HypergridKernel
import HypergridModel
import HypergridPreprocessing
import HypergridSearchSpace
import HypergridTraining

/// The `.hgmodel` of a trained trial: what a worker sends back with a result when the
/// coordinator keeps models, and what `train --save-model` writes.
public enum KeptModel {
    /// The model of `config` (trial `trialID`) trained on `prepared`, from the trainer's final
    /// state and the pipeline that prepared the data; nil when the data carries no pipeline.
    public static func make(trialID: TrialID, config: TrialConfig, prepared: PreparedDataset,
                            metrics: TrialMetrics, state: TrainingCheckpoint) -> TrainedModel? {
        guard let pipeline = InputPipeline(prepared) else { return nil }
        let splits = prepared.splits
        let shape = MLPShape(inputWidth: splits.featureCount, hidden: config.hidden,
                             classCount: splits.classCount, batchNorm: config.batchNorm)
        return TrainedModel(trialID: trialID.hex, configJSON: String(decoding: config.canonicalJSON, as: UTF8.self),
                            numerics: HypergridVersion.numerics, datasetName: splits.name,
                            datasetFingerprint: prepared.fingerprint,
                            validationMetric: metrics.validationAccuracy, testMetric: metrics.testAccuracy,
                            pipeline: pipeline, shape: shape, weights: state.network)
    }
}
