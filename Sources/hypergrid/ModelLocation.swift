import Foundation
import HypergridModel

/// Finds the model a `predict` or `export` command names: an `.hgmodel` file, or a run folder
/// whose `models/` holds the kept models (then `--trial` picks one; without it, the refit's
/// model if there is one, else the best by validation metric).
enum ModelLocation {
    /// Where a run keeps its models.
    static func modelsFolder(of run: URL) -> URL { run.appendingPathComponent("models", isDirectory: true) }

    static func resolve(_ path: String, trial: String?) throws -> (model: TrainedModel, url: URL) {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CommandError("\(url.path) does not exist: give an .hgmodel file or a run folder.")
        }
        guard isDirectory.boolValue else {
            let model = try TrainedModel.read(from: url)
            if let trial, !model.trialID.hasPrefix(trial.lowercased()) {
                throw CommandError("\(url.path) holds trial \(model.trialID.prefix(12)), not \(trial).")
            }
            return (model, url)
        }
        let folder = modelsFolder(of: url)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".\(TrainedModel.fileExtension)") && !$0.hasPrefix(".") }.sorted()
        guard !files.isEmpty else {
            throw CommandError("The run \(url.path) has no kept model in \(folder.path): run the search with search.keep_models of 1 or more, or give an .hgmodel file.")
        }
        if let trial {
            let wanted = trial.lowercased()
            let matches = files.filter { $0.hasPrefix(wanted) }
            guard matches.count == 1 else {
                let kept = files.map { String($0.prefix(12)) }.joined(separator: ", ")
                if matches.isEmpty { throw CommandError("The run \(url.path) keeps no model of trial \(trial) (kept: \(kept)).") }
                throw CommandError("The trial id \(trial) matches \(matches.count) kept models of \(url.path); give more of its digits.")
            }
            let file = folder.appendingPathComponent(matches[0])
            return (try TrainedModel.read(from: file), file)
        }
        let models = try files.map { name -> (TrainedModel, URL) in
            let file = folder.appendingPathComponent(name)
            return (try TrainedModel.read(from: file), file)
        }
        if let refit = models.first(where: { $0.0.isRefit }) { return refit }
        return models.max { ($0.0.validationMetric ?? -.infinity, $1.1.path) < ($1.0.validationMetric ?? -.infinity, $0.1.path) }!
    }
}
