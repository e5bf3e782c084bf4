import Foundation
import HypergridData
import HypergridKernel
import HypergridModel
import HypergridPreprocessing
import HypergridSearchSpace
import HypergridTraining

/// Builds and writes the `.hgmodel` of a trial trained in this process (`train --save-model`).
enum SavedModel {
    /// The model of `config` trained on `prepared`, from the trainer's final state.
    static func make(config: TrialConfig, prepared: PreparedDataset, request: DatasetRequest,
                     metrics: TrialMetrics, state: TrainingCheckpoint,
                     log: @escaping (String) -> Void) throws -> TrainedModel {
        // The cache holds the prepared splits but not the statistics that prepared them:
        // refit them on the raw training split (the same bits; costs one more read and PCA).
        let pipeline = try InputPipeline.fit(request, log: nil)
        let splits = prepared.splits
        let shape = MLPShape(inputWidth: splits.featureCount, hidden: config.hidden,
                             classCount: splits.classCount, batchNorm: config.batchNorm)
        return TrainedModel(trialID: TrialID(config: config, datasetFingerprint: prepared.fingerprint).hex,
                            configJSON: String(decoding: config.canonicalJSON, as: UTF8.self),
                            numerics: HypergridVersion.numerics, datasetName: splits.name,
                            datasetFingerprint: prepared.fingerprint,
                            validationMetric: metrics.validationAccuracy, testMetric: metrics.testAccuracy,
                            pipeline: pipeline, shape: shape, weights: state.network)
    }

    /// Writes `model` atomically (a reader sees the old file or the whole new one).
    static func write(_ model: TrainedModel, to url: URL) throws {
        try OutputPath.write(Data(model.encoded()), to: url, what: "model file")
    }
}

/// Output files of the model commands: checked before any work, written atomically.
enum OutputPath {
    /// `path` as a URL, after checking that its folder exists and is writable and that it is
    /// not a folder itself: a bad output path fails before minutes of work, with nothing written.
    static func checked(_ path: String, what: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CommandError("Cannot write the \(what) \(url.path): it is a directory.")
        }
        let folder = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandError("Cannot write the \(what) \(url.path): the folder \(folder) does not exist.")
        }
        guard access(folder, W_OK) == 0 else {
            throw CommandError("Cannot write the \(what) \(url.path): the folder \(folder) is not writable.")
        }
        return url
    }

    /// Writes `data` through a temporary file renamed into place.
    static func write(_ data: Data, to url: URL, what: String) throws {
        do {
            try AtomicFile.write(data, to: url)
        } catch {
            throw CommandError("Cannot write the \(what) \(url.path): \(error).")
        }
    }
}

/// A user-caused failure of a command: one sentence, exit status 1.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
