import Foundation
import HypergridData
import HypergridFiles
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk cache of prepared datasets: one file per fingerprint, `<fingerprint>.hgdata`.
///
/// Layout (little-endian):
///
/// | offset | bytes | field                                                        |
/// |--------|-------|--------------------------------------------------------------|
/// | 0      | 8     | magic `HGRIDDS\0`                                            |
/// | 8      | 4     | format version (``formatVersion``)                           |
/// | 12     | 4     | CRC-32 of bytes `64 ..< fileLength`                          |
/// | 16     | 8     | file length                                                  |
/// | 24     | 8     | metadata offset                                              |
/// | 32     | 8     | metadata length                                              |
/// | 40     | 24    | zero                                                         |
/// | 64     | …     | per split: float32 features, then int32 labels, then (regression) float32 targets, each 64-byte aligned |
/// | …      | …     | float64 standardisation mean and scale, float32 PCA basis (when fitted) |
/// | …      | …     | metadata: JSON (fingerprint, shapes, offsets, PCA components, input schema, summary) |
///
/// Loading memory-maps the file and hands the feature arrays to `FloatStorage(borrowing:)`,
/// so worker processes on one machine share a single copy through the page cache. The map is
/// private and writable: a process that writes into its features gets its own copy of the
/// touched pages only, instead of a crash or a change to the others' data.
///
/// The file is also the export format: ship its bytes (e.g. ``PreparedDataset/cacheFile``) and
/// install them elsewhere with ``importData(_:expectedFingerprint:directory:)``.
public enum DatasetCache {
    /// Bump whenever the layout above changes; files of another version are stale.
    /// 2: adds regression targets, the fitted standardisation and PCA basis, the input schema
    /// and the summary, so that a cache hit carries everything a model file needs.
    public static let formatVersion: UInt32 = 2
    static let magic: [UInt8] = Array("HGRIDDS\0".utf8)
    static let headerBytes = 64

    /// `$XDG_CACHE_HOME/hypergrid`, else `~/.cache/hypergrid`.
    public static var defaultDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return URL(fileURLWithPath: base, isDirectory: true).appendingPathComponent("hypergrid", isDirectory: true)
    }

    /// Whether `fingerprint` can name a cache file: 1–128 letters, digits, `-` or `_`.
    /// Real fingerprints are 64 hex digits; a fingerprint that arrives over the network is
    /// checked with this before it becomes part of a path (no `/`, no `..`).
    public static func isPlainName(_ fingerprint: String) -> Bool {
        (1...128).contains(fingerprint.utf8.count) && fingerprint.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D || $0 == 0x5F
        }
    }

    /// Where the cache file of a fingerprint lives in `directory`.
    public static func fileURL(fingerprint: String, directory: URL) -> URL {
        directory.appendingPathComponent("\(fingerprint).hgdata")
    }

    /// Creates `directory` if needed and checks it can be read and written; throws
    /// `unusableCacheDirectory` naming it otherwise.
    public static func prepareDirectory(_ directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DatasetError(.unusableCacheDirectory, "The cache directory \(directory.path) cannot be created (\(reason(error))).")
        }
        guard access(directory.path, R_OK | W_OK | X_OK) == 0 else {
            throw DatasetError(.unusableCacheDirectory, "The cache directory \(directory.path) is not readable and writable (\(String(cString: strerror(errno)))).")
        }
    }

    private static func reason(_ error: Error) -> String {
        ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription
    }

    struct Metadata: Codable {
        struct Split: Codable {
            var rows: Int; var featuresOffset: Int; var labelsOffset: Int
            /// Regression only: `rows × targetCount` float32 (standardised) targets.
            var targetsOffset: Int?
        }
        /// Where an array lies in the file.
        struct Place: Codable { var offset: Int; var count: Int }
        var fingerprint: String
        var name: String
        var classCount: Int
        var columns: Int
        var pcaComponents: Int?
        var retainedVariance: Double?
        /// train, validation, test
        var splits: [Split]
        /// The rows' image layout while they are pixels; absent in files written before it
        /// was recorded (see `decode`).
        var imageLayout: ImageLayout?
        var targetCount: Int?
        var schema: InputSchema?
        var summary: String?
        /// Absent in files written before it was recorded.
        var splitRows: SplitRows?
        /// float64 means and scales (`columns` before PCA each).
        var standardizerMean: Place?
        var standardizerScale: Place?
        /// float32 `pcaComponents × pcaFeatures` basis.
        var pcaBasis: Place?
        var pcaFeatures: Int?
    }

    /// Writes `dataset` to `url` atomically (temp file, fsync, rename; mode 0644).
    public static func write(_ dataset: PreparedDataset, to url: URL) throws {
        let s = dataset.splits
        let matrices = [s.train, s.validation, s.test]
        var offset = headerBytes
        var layout: [Metadata.Split] = []
        for m in matrices {
            let features = align(offset)
            let labels = align(features + m.rows * m.columns * 4)
            offset = labels + m.rows * 4
            var targets: Int?
            if let t = m.targets {
                targets = align(offset)
                offset = targets! + t.count * 4
            }
            layout.append(.init(rows: m.rows, featuresOffset: features, labelsOffset: labels, targetsOffset: targets))
        }
        // The fitted steps, as raw little-endian arrays after the splits.
        var extras: [(offset: Int, bytes: [UInt8])] = []
        func place(_ bytes: [UInt8], count: Int) -> Metadata.Place {
            let at = align(offset)
            extras.append((at, bytes))
            offset = at + bytes.count
            return Metadata.Place(offset: at, count: count)
        }
        var metadata = Metadata(fingerprint: dataset.fingerprint, name: s.name, classCount: s.classCount,
                                columns: s.featureCount, pcaComponents: dataset.pcaComponents,
                                retainedVariance: dataset.retainedVariance, splits: layout,
                                imageLayout: s.imageLayout)
        metadata.targetCount = s.train.targets != nil ? s.train.targetCount : nil
        metadata.schema = dataset.schema ?? s.schema
        metadata.summary = s.summary
        metadata.splitRows = s.splitRows
        if let st = dataset.standardizer {
            metadata.standardizerMean = place(littleEndianBytes(st.mean.map(\.bitPattern)), count: st.mean.count)
            metadata.standardizerScale = place(littleEndianBytes(st.scale.map(\.bitPattern)), count: st.scale.count)
        }
        if let pca = dataset.pca {
            metadata.pcaBasis = place(littleEndianBytes(pca.basis.map(\.bitPattern)), count: pca.basis.count)
            metadata.pcaFeatures = pca.features
        }
        let json = try JSONEncoder().encode(metadata)
        let fileLength = offset + json.count

        try CacheFile.replace(url) { fd in
            var crc: UInt32 = 0
            var position = headerBytes
            let zeros = [UInt8](repeating: 0, count: 64)
            // Writes `count` bytes at `at` (after zero padding up to it), folding them into the CRC.
            func emit(_ bytes: UnsafeRawPointer?, _ count: Int, at: Int) throws {
                if at > position {
                    try zeros.withUnsafeBytes { try emit($0.baseAddress, at - position, at: position) }
                }
                guard count > 0, let bytes else { return }
                crc = CRC32.checksum(bytes, count: count, continuing: crc)
                try CacheFile.writeAll(fd, bytes, count, url: url)
                position = at + count
            }
            try zeros.withUnsafeBytes { try CacheFile.writeAll(fd, $0.baseAddress, headerBytes, url: url) }
            for (m, place) in zip(matrices, layout) {
                try emit(m.features.base, m.rows * m.columns * 4, at: place.featuresOffset)
                try m.labels.withUnsafeBytes { try emit($0.baseAddress, $0.count, at: place.labelsOffset) }
                if let t = m.targets, let at = place.targetsOffset {
                    try t.withUnsafeBytes { try emit($0.baseAddress, $0.count, at: at) }
                }
            }
            for extra in extras {
                try extra.bytes.withUnsafeBytes { try emit($0.baseAddress, $0.count, at: extra.offset) }
            }
            try json.withUnsafeBytes { try emit($0.baseAddress, $0.count, at: offset) }
            var header = magic
            append(&header, formatVersion)
            append(&header, crc)
            for v in [UInt64(fileLength), UInt64(offset), UInt64(json.count)] { append(&header, v) }
            header += [UInt8](repeating: 0, count: headerBytes - header.count)
            guard header.withUnsafeBytes({ pwrite(fd, $0.baseAddress, headerBytes, 0) }) == headerBytes else {
                throw FileSystemError(path: url.path, operation: "write the header of", errno: errno)
            }
        }
    }

    /// Memory-maps and verifies a cache file (magic, version, length, CRC-32, layout, labels and,
    /// when given, the fingerprint). Throws `staleCache` for another version or fingerprint and
    /// `corruptCache` for anything else wrong, each naming the file.
    public static func load(cacheFile url: URL, expectedFingerprint: String?) throws -> PreparedDataset {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CacheFile.readError("open", url) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CacheFile.readError("read", url) }
        let size = Int(st.st_size)
        guard size >= headerBytes else {
            throw DatasetError(.corruptCache, "Cache file \(url.path) is truncated: \(size) bytes, shorter than its header.")
        }
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw CacheFile.readError("memory-map", url)
        }
        let mapping = Mapping(base: base, size: size)
        return try decode(UnsafeRawBufferPointer(start: base, count: size), url: url,
                          expectedFingerprint: expectedFingerprint, owner: mapping)
    }

    /// Verifies `data` as a cache file for `expectedFingerprint` and installs it atomically in
    /// `directory` (created if needed); returns its path. For workers that receive the
    /// prepared data instead of the source files.
    @discardableResult
    public static func importData(_ data: Data, expectedFingerprint: String, directory: URL) throws -> URL {
        let url = fileURL(fingerprint: expectedFingerprint, directory: directory)
        try data.withUnsafeBytes { raw in
            _ = try decode(raw, url: url, expectedFingerprint: expectedFingerprint, owner: nil)
        }
        try prepareDirectory(directory)
        try CacheFile.replace(url, with: [UInt8](data))
        return url
    }

    /// Checks and decodes a whole cache file held in `raw`. The feature arrays are borrowed
    /// from `raw` and keep `owner` (the mapping) alive.
    static func decode(_ raw: UnsafeRawBufferPointer, url: URL, expectedFingerprint: String?,
                       owner: Mapping?) throws -> PreparedDataset {
        func corrupt(_ why: String) -> DatasetError {
            DatasetError(.corruptCache, "Cache file \(url.path) is corrupt: \(why).")
        }
        guard raw.count >= headerBytes else {
            throw DatasetError(.corruptCache, "Cache file \(url.path) is truncated: \(raw.count) bytes, shorter than its header.")
        }
        guard Array(raw[0..<8]) == magic else { throw corrupt("it does not start with the hypergrid dataset magic") }
        let version = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == formatVersion else {
            throw DatasetError(.staleCache, "Cache file \(url.path) has format version \(version), not \(formatVersion).")
        }
        let storedCRC = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let field = { (at: Int) in Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))) }
        let (length, metaOffset, metaLength) = (field(16), field(24), field(32))
        guard length == raw.count else {
            throw DatasetError(.corruptCache, "Cache file \(url.path) is truncated or padded: its header says \(grouped(length)) bytes but it has \(grouped(raw.count)).")
        }
        let crc = CRC32.checksum(raw.baseAddress! + headerBytes, count: length - headerBytes)
        guard crc == storedCRC else { throw corrupt("its CRC-32 does not match its contents") }
        guard metaOffset >= headerBytes, metaLength > 0, metaOffset + metaLength == length,
              let meta = try? JSONDecoder().decode(Metadata.self, from: Data(raw[metaOffset..<length])) else {
            throw corrupt("its metadata cannot be read")
        }
        if let expected = expectedFingerprint, meta.fingerprint != expected {
            throw DatasetError(.staleCache, "Cache file \(url.path) holds dataset \(meta.fingerprint.prefix(12))…, not the requested \(expected.prefix(12))….")
        }
        guard meta.splits.count == 3, meta.columns > 0, meta.classCount > 0 else { throw corrupt("its metadata is inconsistent") }
        var matrices: [LabeledMatrix] = []
        for split in meta.splits {
            let floats = split.rows * meta.columns
            guard split.rows >= 0, split.featuresOffset % 64 == 0, split.labelsOffset % 64 == 0,
                  split.featuresOffset >= headerBytes, split.featuresOffset + floats * 4 <= split.labelsOffset,
                  split.labelsOffset + split.rows * 4 <= metaOffset else {
                throw corrupt("its array offsets are out of range")
            }
            let labels = (0..<split.rows).map {
                Int32(littleEndian: raw.loadUnaligned(fromByteOffset: split.labelsOffset + 4 * $0, as: Int32.self))
            }
            guard labels.allSatisfy({ $0 >= 0 && Int($0) < meta.classCount }) else { throw corrupt("a label is out of range") }
            let source = UnsafeMutableRawPointer(mutating: raw.baseAddress! + split.featuresOffset)
                .assumingMemoryBound(to: Float.self)
            // Without an owner the arrays are only valid while `raw` is: importData checks
            // them and throws the result away.
            let storage = FloatStorage(borrowing: source, count: floats,
                                       release: owner.map { o in { withExtendedLifetime(o) {} } })
            var matrix = LabeledMatrix(rows: split.rows, columns: meta.columns, features: storage, labels: labels)
            if let at = split.targetsOffset {
                let count = split.rows * (meta.targetCount ?? 0)
                guard meta.targetCount ?? 0 > 0, at % 64 == 0, at >= headerBytes, at + count * 4 <= metaOffset else {
                    throw corrupt("its target offsets are out of range")
                }
                matrix.targets = (0..<count).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 4 * $0, as: UInt32.self)))
                }
                matrix.targetCount = meta.targetCount!
            }
            matrices.append(matrix)
        }
        func doubles(_ p: Metadata.Place?) throws -> [Double]? {
            guard let p else { return nil }
            guard p.offset >= headerBytes, p.count >= 0, p.offset + p.count * 8 <= metaOffset else { throw corrupt("its fitted statistics are out of range") }
            return (0..<p.count).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p.offset + 8 * $0, as: UInt64.self))) }
        }
        var standardizer: Standardizer?
        if let mean = try doubles(meta.standardizerMean), let scale = try doubles(meta.standardizerScale) {
            guard mean.count == scale.count else { throw corrupt("its fitted statistics are inconsistent") }
            standardizer = Standardizer(mean: mean, scale: scale)
        }
        var projection: PCAProjection?
        if let p = meta.pcaBasis, let features = meta.pcaFeatures, let k = meta.pcaComponents {
            guard p.offset >= headerBytes, p.count == k * features, p.offset + p.count * 4 <= metaOffset else {
                throw corrupt("its PCA basis is out of range")
            }
            let basis = (0..<p.count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p.offset + 4 * $0, as: UInt32.self))) }
            projection = PCAProjection(features: features, components: k, basis: basis, retainedVariance: meta.retainedVariance ?? 0)
        }
        // Files from before layouts were recorded: pixels of a standard kind have its layout.
        var imageLayout = meta.imageLayout
        if imageLayout == nil, meta.pcaComponents == nil,
           let standard = DatasetRequest.Kind(rawValue: meta.name).flatMap(ImageLayout.standard(for:)),
           standard.featureCount == meta.columns {
            imageLayout = standard
        }
        guard imageLayout.map({ $0.featureCount == meta.columns }) ?? true else {
            throw corrupt("its image layout does not match its feature count")
        }
        var splits = DatasetSplits(name: meta.name, classCount: meta.classCount, train: matrices[0],
                                   validation: matrices[1], test: matrices[2], imageLayout: imageLayout)
        splits.schema = meta.schema
        splits.summary = meta.summary
        splits.splitRows = meta.splitRows
        var prepared = PreparedDataset(splits: splits, fingerprint: meta.fingerprint, pcaComponents: meta.pcaComponents,
                                       retainedVariance: meta.retainedVariance, cacheStatus: .hit, cacheFile: url)
        prepared.schema = meta.schema
        prepared.standardizer = standardizer
        prepared.pca = projection
        return prepared
    }

    private static func align(_ offset: Int) -> Int { (offset + 63) & ~63 }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * MemoryLayout<T>.size)
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        return bytes
    }

    private static func append<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// An `mmap`ed file, unmapped when the last array borrowing from it is freed.
final class Mapping: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int
    init(base: UnsafeMutableRawPointer, size: Int) { self.base = base; self.size = size }
    deinit { munmap(base, size) }
}
