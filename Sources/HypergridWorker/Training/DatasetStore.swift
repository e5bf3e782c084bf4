import Foundation
import HypergridData
import HypergridPreprocessing
import HypergridProtocol
import HypergridTraining
import Logging

/// Finds the prepared dataset of an assignment without the network: in memory, in the
/// cache directory, or by preparing it from source files on this machine. Installs
/// datasets fetched from the coordinator. Used by the training thread only.
final class DatasetStore {
    let cacheDirectory: URL
    let logger: Logger
    /// How many prepared datasets stay in memory; a grid search uses one, sometimes two.
    let memoryCapacity: Int
    /// Most recently used last.
    private var recent: [PreparedDataset] = []

    init(cacheDirectory: URL, logger: Logger, memoryCapacity: Int = 2) {
        self.cacheDirectory = cacheDirectory
        self.logger = logger
        self.memoryCapacity = max(memoryCapacity, 1)
    }

    /// The dataset with the assignment's fingerprint if this machine has or can make it;
    /// `nil` means it must come from the coordinator.
    func local(for assignment: Assignment) -> PreparedDataset? {
        let fingerprint = assignment.datasetFingerprint
        if let i = recent.firstIndex(where: { $0.fingerprint == fingerprint }) {
            let dataset = recent.remove(at: i)
            recent.append(dataset)
            return dataset
        }
        let url = DatasetCache.fileURL(fingerprint: fingerprint, directory: cacheDirectory)
        if FileManager.default.fileExists(atPath: url.path) {
            do {
                return remember(try DatasetCache.load(cacheFile: url, expectedFingerprint: fingerprint))
            } catch {
                // A later import or prepare overwrites it.
                logger.warning("\(error) Getting the dataset another way.")
            }
        }
        return preparedHere(assignment)
    }

    /// Prepares the dataset from source files on this machine when they exist and give the
    /// coordinator's fingerprint. Hashing the sources first (cheap with the side index)
    /// avoids a long preprocessing run for data that would turn out to be different.
    private func preparedHere(_ assignment: Assignment) -> PreparedDataset? {
        let request = DatasetRequest(spec: assignment.dataset)
        let expected = assignment.datasetFingerprint
        do {
            let fingerprint = try datasetFingerprint(request, cacheDirectory: cacheDirectory)
            guard fingerprint == expected else {
                logger.info("local \(request.kind.rawValue) files give dataset \(fingerprint.prefix(12)), not the coordinator's \(expected.prefix(12))")
                return nil
            }
            logger.info("preparing dataset \(expected.prefix(12)) from local \(request.kind.rawValue) files")
            let prepared = try prepareDataset(request, cacheDirectory: cacheDirectory, useCache: true) { [logger] line in
                logger.debug("\(line)")
            }
            guard prepared.fingerprint == expected else { return nil }
            return remember(prepared)
        } catch {
            logger.debug("cannot prepare dataset \(expected.prefix(12)) here: \(error)")
            return nil
        }
    }

    /// Verifies a dataset file fetched from the coordinator against its fingerprint,
    /// installs it in the cache directory and maps it.
    func install(_ bytes: [UInt8], fingerprint: String) throws -> PreparedDataset {
        let url = try DatasetCache.importData(Data(bytes), expectedFingerprint: fingerprint, directory: cacheDirectory)
        return remember(try DatasetCache.load(cacheFile: url, expectedFingerprint: fingerprint))
    }

    private func remember(_ dataset: PreparedDataset) -> PreparedDataset {
        recent.removeAll { $0.fingerprint == dataset.fingerprint }
        recent.append(dataset)
        if recent.count > memoryCapacity { recent.removeFirst(recent.count - memoryCapacity) }
        return dataset
    }

    /// Fingerprints of the cache files in `directory`, for the `ready` message. Only names
    /// are read: a file is verified when it is used.
    static func cachedFingerprints(in directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".hgdata") && !$0.hasPrefix(".") }
            .map { String($0.dropLast(".hgdata".count)) }
            .sorted()
    }
}
