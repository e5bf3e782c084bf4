import Foundation
import HypergridData

/// What happened with the cache when a dataset was prepared.
public enum CacheStatus: Sendable, Equatable, CustomStringConvertible {
    /// Caching was turned off.
    case disabled
    /// A valid cache file was loaded (memory-mapped).
    case hit
    /// No cache file existed; the data was prepared and written.
    case miss
    /// A cache file of another format version or dataset was found and rebuilt.
    case stale(reason: String)
    /// A corrupt cache file (bad checksum, truncated, …) was found and rebuilt.
    case corrupt(reason: String)

    public var description: String {
        switch self {
        case .disabled: return "cache disabled"
        case .hit: return "cache hit"
        case .miss: return "cache miss"
        case .stale(let reason): return "stale cache rebuilt: \(reason)"
        case .corrupt(let reason): return "corrupt cache rebuilt: \(reason)"
        }
    }
}

/// A dataset ready for training: split, preprocessed and identified.
public struct PreparedDataset: @unchecked Sendable {
    /// The preprocessed splits (features mapped from the cache file on a hit).
    public var splits: DatasetSplits
    /// SHA-256 (hex) of the sources, split sizes and preprocessing: see ``DatasetFingerprint``.
    public var fingerprint: String
    /// Number of principal components kept, or `nil` without PCA.
    public var pcaComponents: Int?
    /// Share of the training variance those components explain, or `nil` without PCA.
    public var retainedVariance: Double?
    /// What happened with the cache.
    public var cacheStatus: CacheStatus
    /// The cache file holding this data (to ship to remote workers), if any.
    public var cacheFile: URL?
    /// How raw rows become features and outputs become labels, fitted on the training split
    /// (for every dataset, built-in or the user's, and on a cache hit too): what a model file
    /// carries so that predictions take the same raw rows.
    public var schema: InputSchema?
    /// The fitted centring and scaling applied after the schema's encoding (before PCA).
    public var standardizer: Standardizer?
    /// The fitted PCA projection applied after standardising; `nil` without PCA.
    public var pca: PCAProjection?
    /// One line on how a user's file was read (see ``DatasetSplits/summary``); `nil` for the
    /// built-in datasets.
    public var summary: String? { splits.summary }

    /// True when the data came from a valid cache file rather than being prepared now.
    public var loadedFromCache: Bool { cacheStatus == .hit }

    /// Bundles prepared splits with their identity and cache outcome.
    public init(splits: DatasetSplits, fingerprint: String, pcaComponents: Int?, retainedVariance: Double?,
                cacheStatus: CacheStatus, cacheFile: URL?) {
        self.splits = splits
        self.fingerprint = fingerprint
        self.pcaComponents = pcaComponents
        self.retainedVariance = retainedVariance
        self.cacheStatus = cacheStatus
        self.cacheFile = cacheFile
    }
}

/// Loads, splits and preprocesses a dataset, through the on-disk cache.
///
/// 1. Checks the request and resolves the split sizes from file sizes and headers.
/// 2. Computes the fingerprint (file hashes come from the side index when files are unchanged).
/// 3. On a valid cache file for that fingerprint, memory-maps it and returns (`.hit`).
/// 4. Otherwise reads the raw data, centres (and standardises) every split with training
///    statistics, fits PCA on the training split and projects every split, writes the cache
///    file atomically and returns (`.miss`, or `.stale`/`.corrupt` when a bad file was replaced).
///
/// - Parameters:
///   - cacheDirectory: where cache files live; `nil` means ``DatasetCache/defaultDirectory``.
///   - useCache: `false` neither reads nor writes the cache (nor the hash index).
///   - log: receives one line per notable event: stale or corrupt cache, failures to write the
///     cache, and the duration of each preprocessing step.
public func prepareDataset(_ request: DatasetRequest, cacheDirectory: URL? = nil, useCache: Bool = true,
                           log: ((String) -> Void)? = nil) throws -> PreparedDataset {
    let directory = useCache ? (cacheDirectory ?? DatasetCache.defaultDirectory) : nil
    let fingerprint = try fingerprintThroughIndex(request, indexDirectory: directory, log: log)

    var status = CacheStatus.disabled
    var cacheFile: URL?
    if let directory {
        let url = DatasetCache.fileURL(fingerprint: fingerprint, directory: directory)
        cacheFile = url
        status = .miss
        if FileManager.default.fileExists(atPath: url.path) {
            do {
                return try DatasetCache.load(cacheFile: url, expectedFingerprint: fingerprint)
            } catch let error as DatasetError where error.code == .staleCache {
                status = .stale(reason: error.description)
            } catch let error as DatasetError {
                status = .corrupt(reason: error.description)
            }
            // The reason is a sentence of its own; its period would end this line half way.
            let why = "\(status)"
            log?("\(why.hasSuffix(".") ? String(why.dropLast()) : why); preparing \(request.kind.rawValue) again.")
        }
    }

    var prepared = try preprocess(request, fingerprint: fingerprint, log: log)
    prepared.cacheStatus = status
    if let url = cacheFile {
        do {
            var clock = Stopwatch()
            try DatasetCache.write(prepared, to: url)
            log?("Wrote \(url.lastPathComponent) in \(clock.lap()).")
            prepared.cacheFile = url
        } catch {
            prepared.cacheFile = nil
            log?("Could not write the cache file \(url.path): \(error).")
        }
    }
    return prepared
}

/// The fingerprint of a request without preparing the data: checks the request and the files,
/// resolves the split sizes and hashes the sources (through the side index in the cache
/// directory, so this is cheap when the files are unchanged). For trial ids.
public func datasetFingerprint(_ request: DatasetRequest, cacheDirectory: URL? = nil) throws -> String {
    try fingerprintThroughIndex(request, indexDirectory: cacheDirectory ?? DatasetCache.defaultDirectory, log: nil)
}

/// Where ``prepareDataset(_:cacheDirectory:useCache:log:)`` keeps (or would keep) the cache
/// file of a request: the file to export to remote workers.
public func cacheFileURL(for request: DatasetRequest, cacheDirectory: URL? = nil) throws -> URL {
    let directory = cacheDirectory ?? DatasetCache.defaultDirectory
    return DatasetCache.fileURL(fingerprint: try datasetFingerprint(request, cacheDirectory: directory),
                                directory: directory)
}

/// The fingerprint, with the hash index of `indexDirectory` (created if needed) when given.
private func fingerprintThroughIndex(_ request: DatasetRequest, indexDirectory: URL?,
                                     log: ((String) -> Void)?) throws -> String {
    try request.validateParameters()
    let files = try request.sourceFiles()
    if let indexDirectory { try DatasetCache.prepareDirectory(indexDirectory) }
    let index = indexDirectory.map { ContentHashIndex(directory: $0) }
    let fingerprint: String
    if request.kind.isFileFormat {
        // A user's file is identified by its contents and the options; its split sizes are
        // known only once it is read, and follow from those two.
        fingerprint = try DatasetFingerprint.compute(fileRequest: request, sourceFiles: files, hashIndex: index)
    } else {
        let sizes = try request.resolveSplitSizes()
        fingerprint = try DatasetFingerprint.compute(request, sizes: sizes, sourceFiles: files, hashIndex: index)
    }
    do { try index?.save() } catch { log?("Could not save the source hash index: \(error).") }
    return fingerprint
}

/// Reads the raw splits and preprocesses them (no cache). The raw training copy — 600 MB of
/// float32 on CIFAR-10 — is standardised in place and, with PCA, released as soon as it has
/// been projected: only `raw`, local to this function, refers to it. With PCA on 8-bit
/// pixels (CIFAR-10) there is no float32 copy: ``PixelPreprocessing`` works from the bytes.
func preprocess(_ request: DatasetRequest, fingerprint: String, log: ((String) -> Void)?) throws -> PreparedDataset {
    var clock = Stopwatch()
    if let fraction = request.pcaVariance, let pixels = try request.loadRawPixelSplits() {
        log?("Read \(pixels.train.rows + pixels.validation.rows + pixels.test.rows) rows of \(pixels.name) as bytes in \(clock.lap()).")
        let fitted = try PixelPreprocessing.prepare(pixels, divideByDeviation: request.dividesByDeviation,
                                                    varianceFraction: fraction, log: log)
        var splits = fitted.splits
        let (standardizer, pca) = (fitted.standardizer, fitted.pca)
        // The model's pipeline: raw pixels in, as the byte path prepared them.
        var schema = InputSchema.builtIn(request.kind, splits: splits)
        schema.arrayFeatureCount = pixels.train.columns
        schema.imageLayout = pixels.imageLayout
        splits.schema = schema
        var prepared = PreparedDataset(splits: splits, fingerprint: fingerprint, pcaComponents: pca.components,
                                       retainedVariance: pca.retainedVariance, cacheStatus: .disabled, cacheFile: nil)
        prepared.schema = schema
        prepared.standardizer = standardizer
        prepared.pca = PCAProjection(pca)
        return prepared
    }
    var raw = try request.loadRawSplits(log: log)
    log?("Read \(raw.train.rows + raw.validation.rows + raw.test.rows) rows of \(raw.name) in \(clock.lap()).")
    if raw.schema == nil { raw.schema = InputSchema.builtIn(request.kind, splits: raw) }
    let standardizer = Standardizer.fit(raw.train, divideByDeviation: request.dividesByDeviation)
    for split in [raw.train, raw.validation, raw.test] { standardizer.apply(inPlace: split) }
    log?("\(request.dividesByDeviation ? "Standardised" : "Centred") every split with training statistics in \(clock.lap()).")
    guard let fraction = request.pcaVariance else {
        var prepared = PreparedDataset(splits: raw, fingerprint: fingerprint, pcaComponents: nil,
                                       retainedVariance: nil, cacheStatus: .disabled, cacheFile: nil)
        prepared.schema = raw.schema
        prepared.standardizer = standardizer
        return prepared
    }
    let pca = try PCA.fit(raw.train, varianceFraction: fraction, log: log)
    _ = clock.lap() // PCA.fit logs its own steps
    var splits = DatasetSplits(name: raw.name, classCount: raw.classCount,
                               train: raw.train.carryingTargets(to: pca.project(raw.train)),
                               validation: raw.validation.carryingTargets(to: pca.project(raw.validation)),
                               test: raw.test.carryingTargets(to: pca.project(raw.test)))
    splits.schema = raw.schema
    splits.summary = raw.summary
    splits.splitRows = raw.splitRows
    log?("Projected every split onto \(pca.components) components in \(clock.lap()).")
    var prepared = PreparedDataset(splits: splits, fingerprint: fingerprint, pcaComponents: pca.components,
                                   retainedVariance: pca.retainedVariance, cacheStatus: .disabled, cacheFile: nil)
    prepared.schema = raw.schema
    prepared.standardizer = standardizer
    prepared.pca = PCAProjection(pca)
    return prepared
}

/// Wall-clock laps for the log lines.
struct Stopwatch {
    private var last = DispatchTime.now().uptimeNanoseconds

    /// Time since the previous lap, e.g. `"12.34 s"`.
    mutating func lap() -> String {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return String(format: "%.2f s", Double(now - last) / 1e9)
    }
}
