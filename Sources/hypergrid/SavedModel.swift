import Foundation
import HypergridData
import HypergridFiles
import HypergridModel
import HypergridPreprocessing
import HypergridSearchSpace
import HypergridTraining
import HypergridWorker

/// Builds and writes the `.hgmodel` of a trial trained in this process (`train --save-model`).
enum SavedModel {
    /// The model of `config` trained on `prepared`, from the trainer's final state.
    static func make(config: TrialConfig, prepared: PreparedDataset, metrics: TrialMetrics,
                     state: TrainingCheckpoint) throws -> TrainedModel {
        let id = TrialID(config: config, datasetFingerprint: prepared.fingerprint)
        guard let model = KeptModel.make(trialID: id, config: config, prepared: prepared, metrics: metrics, state: state) else {
            throw CommandError("Cannot save a model of \(prepared.splits.name): its prepared data carries no input pipeline.")
        }
        return model
    }

    /// Writes `model` atomically (a reader sees the old file or the whole new one).
    @discardableResult
    static func write(_ model: TrainedModel, to url: URL) throws -> Int {
        let bytes = model.encoded()
        try OutputPath.write(Data(bytes), to: url, what: "model file")
        return bytes.count
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

    /// Streams chunks through `body`'s sink into a temporary file renamed into place: a
    /// failure part way leaves no file behind.
    static func write(to url: URL, what: String, _ body: (_ sink: ([UInt8]) throws -> Void) throws -> Void) throws {
        do {
            try DurableFile.replace(url.path) { fd in
                let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
                try body { bytes in try handle.write(contentsOf: bytes) }
            }
        } catch let error as CommandError {
            throw error
        } catch let error as DatasetError {
            throw error
        } catch let error as FileSystemError {
            throw CommandError("Cannot write the \(what) \(url.path): \(error).")
        } catch {
            throw CommandError("Cannot write the \(what) \(url.path): \(error.localizedDescription).")
        }
    }

    /// Writes `data` through a temporary file renamed into place.
    static func write(_ data: Data, to url: URL, what: String) throws {
        do {
            try DurableFile.replace(url.path, with: [UInt8](data))
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
