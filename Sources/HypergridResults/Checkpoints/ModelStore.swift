#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HypergridFiles
import HypergridSearchSpace

/// The models a run keeps (`search.keep_models: K`): `DIR/models/<trial id>.hgmodel` of the K
/// trials with the best validation metric so far, plus every refit's model. The bytes are the
/// workers' `.hgmodel` files, opaque here: the coordinator never reads a model, it only ranks
/// trials by the metric of their journalled results and stores or deletes files.
///
/// A model is written to a temporary file, fsync'd and renamed (then the directory fsync'd)
/// before the result that carried it is handed to the scheduler, as checkpoints are: when the
/// journal has the result, the model is durable too. A model displaced by a better one is
/// deleted only after the better one is durable. After a restart the store is rebuilt from
/// the folder and the journal: a file whose result never reached the journal (a crash
/// between the two) is deleted, since its trial runs again and sends its model again.
public final class ModelStore {
    public let directory: String
    /// Models kept besides the refits'; 0 keeps none (not even a refit's).
    public let keep: Int
    /// The kept models and their rank: the validation metric (nil for a refit).
    public private(set) var kept: [TrialID: Ranked] = [:]

    /// A kept model's place: a refit always stays; others rank by metric, then trial id.
    public struct Ranked: Sendable, Equatable {
        public var metric: Double
        public var isRefit: Bool

        public init(metric: Double, isRefit: Bool) {
            self.metric = metric
            self.isRefit = isRefit
        }
    }

    public static let fileExtension = "hgmodel"

    /// The store of the run in `runDirectory`, rebuilt from its folder: `journalled` gives the
    /// rank of each trial whose result is in the journal (nil: not journalled, or not kept).
    public init(runDirectory: String, keep: Int, journalled: (TrialID) -> Ranked?) {
        directory = (runDirectory as NSString).appendingPathComponent("models")
        self.keep = keep
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard name.hasSuffix(".\(Self.fileExtension)"), !name.hasPrefix("."),
                  let id = TrialID(hex: String(name.dropLast(Self.fileExtension.count + 1))) else {
                // A temporary file of a write that a crash interrupted (DurableFile's `.NAME.….tmp`).
                if name.hasPrefix(".") && name.hasSuffix(".tmp") { unlink(path) }
                continue
            }
            if let rank = journalled(id) { kept[id] = rank } else { unlink(path) }
        }
        for id in displaced() { remove(id) }
    }

    public func path(_ trial: TrialID) -> String {
        (directory as NSString).appendingPathComponent("\(trial.hex).\(Self.fileExtension)")
    }

    /// Whether a trial of `rank` would be kept now (and so whether its model is worth storing).
    public func wouldKeep(_ trial: TrialID, _ rank: Ranked) -> Bool {
        guard keep > 0 else { return false }
        if rank.isRefit { return true }
        let others = kept.filter { !$0.value.isRefit && $0.key != trial }
        guard others.count >= keep else { return true }
        return others.contains { Self.better((trial, rank), than: ($0.key, $0.value)) }
    }

    /// Stores `bytes` as `trial`'s model durably when it ranks among the kept, then deletes
    /// the models it displaces; returns the displaced trials. Throws when it cannot be written.
    @discardableResult
    public func offer(_ bytes: [UInt8], for trial: TrialID, rank: Ranked) throws -> [TrialID] {
        guard wouldKeep(trial, rank) else { return [] }
        do {
            try POSIX.makeDirectories(directory)
            try DurableFile.replace(path(trial), with: bytes)
        } catch let error as FileSystemError {
            throw ModelStoreError(trial: trial, io: error)
        }
        kept[trial] = rank
        let gone = displaced()
        for id in gone { remove(id) }
        return gone
    }

    /// Total bytes of the kept models (for the run's summary and the benchmark).
    public var bytesOnDisk: Int {
        kept.keys.reduce(0) { sum, id in
            var st = stat()
            return sum + (stat(path(id), &st) == 0 ? Int(st.st_size) : 0)
        }
    }

    /// The non-refit models beyond the best `keep`.
    private func displaced() -> [TrialID] {
        let ranked = kept.filter { !$0.value.isRefit }.map { ($0.key, $0.value) }
            .sorted { Self.better($0, than: $1) }
        return keep == 0 ? kept.map(\.key) : ranked.dropFirst(keep).map(\.0)
    }

    private func remove(_ id: TrialID) {
        unlink(path(id))
        kept[id] = nil
    }

    /// Higher metric first; equal metrics by trial id, so that the kept set never depends on
    /// the order results arrived in.
    static func better(_ a: (TrialID, Ranked), than b: (TrialID, Ranked)) -> Bool {
        a.1.metric != b.1.metric ? a.1.metric > b.1.metric : a.0 < b.0
    }
}

/// A model that could not be kept: which trial, and the file step that failed.
public struct ModelStoreError: Error, Equatable, CustomStringConvertible {
    public var trial: TrialID
    public var io: FileSystemError

    public var description: String { "cannot keep the model of trial \(trial.short): \(io)" }
}

extension ModelStore {
    /// How a result ranks for keeping: a refit's always; another trial's by its validation
    /// metric; nil for a trial that did not finish or has no validation metric.
    public static func rank(of metrics: TrialMetrics, config: TrialConfig) -> Ranked? {
        guard metrics.status == .done else { return nil }
        if config.refit != nil { return Ranked(metric: metrics.validationAccuracy ?? -.infinity, isRefit: true) }
        guard let metric = metrics.validationAccuracy, metric.isFinite else { return nil }
        return Ranked(metric: metric, isRefit: false)
    }
}
