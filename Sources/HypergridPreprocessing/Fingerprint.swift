import Crypto
import Foundation
import HypergridData
import HypergridPrimitives
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity of a prepared dataset: SHA-256 over a canonical text listing the format
/// version, the kind, the SHA-256 of each source file's contents, the resolved split sizes
/// and the effective preprocessing. Used as the cache key and (by others) in trial ids.
///
/// Paths are not part of it, so the same files in another folder or on another machine give
/// the same fingerprint; anything that changes the prepared numbers changes it.
public enum DatasetFingerprint {
    /// Bump whenever a reader or the preprocessing changes the numbers it produces.
    public static let formatVersion = 2

    /// The canonical text that is hashed (exposed for logs and tests).
    public static func canonicalText(_ request: DatasetRequest, sizes: SplitSizes,
                                     fileHashes: [(name: String, sha256: String)]) -> String {
        var lines = ["hypergrid-dataset v\(formatVersion)", "kind \(request.kind.rawValue)"]
        for file in fileHashes { lines.append("file \(file.name) sha256 \(file.sha256)") }
        if request.kind == .synthetic && request.task == .classification {
            lines.append("synthetic features \(request.syntheticFeatures) classes \(request.syntheticClasses) seed \(request.syntheticSeed) generator \(SyntheticDataset.generatorVersion)")
        }
        // Regression is a line of its own, absent for classification: those fingerprints (and
        // so their trial ids and cache files) are unchanged.
        if request.task == .regression {
            lines.append("task regression")
            if request.kind == .synthetic {
                lines.append("synthetic features \(request.syntheticFeatures) targets \(request.syntheticTargets) seed \(request.syntheticSeed) generator \(SyntheticDataset.regressionGeneratorVersion)")
            }
        }
        lines.append("rows train \(sizes.train) validation \(sizes.validation) test \(sizes.test)")
        // The effective steps, not the raw flags: PCA implies dividing by the deviation.
        let pca = request.pcaVariance.map { "\($0)" } ?? "none"
        lines.append("preprocess center true divide \(request.dividesByDeviation) pca \(pca)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The fingerprint (64 lowercase hex digits) of a request whose files and sizes are known.
    /// `hashIndex` avoids re-hashing unchanged files; `nil` hashes every file.
    public static func compute(_ request: DatasetRequest, sizes: SplitSizes, sourceFiles: [URL],
                               hashIndex: ContentHashIndex?) throws -> String {
        let hashes = try sourceFiles.map { url in
            (name: url.lastPathComponent, sha256: try hashIndex?.sha256(of: url) ?? ContentHashIndex.hashFile(url))
        }
        return sha256Hex(Data(canonicalText(request, sizes: sizes, fileHashes: hashes).utf8))
    }

    /// The canonical text of a dataset from the user's files: the format, each file's role
    /// and content hash, every option that changes the numbers (columns, encoding, missing
    /// values, task, split amounts and seed, the reader's version) and the preprocessing.
    /// The built-in kinds never take this path, so their fingerprints are as before.
    public static func canonicalText(fileRequest request: DatasetRequest,
                                     fileHashes: [(role: String, name: String, sha256: String)]) -> String {
        var lines = ["hypergrid-dataset v\(formatVersion)", "kind \(request.kind.rawValue)"]
        for file in fileHashes { lines.append("file \(file.role) \(file.name) sha256 \(file.sha256)") }
        let source = request.file ?? FileSource()
        lines.append(source.canonicalText(validationRows: request.validationRows, testRows: request.testRows,
                                          trainRows: request.trainRows))
        let pca = request.pcaVariance.map { "\($0)" } ?? "none"
        lines.append("preprocess center true divide \(request.dividesByDeviation) pca \(pca)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The fingerprint of a dataset from the user's files (see ``canonicalText(fileRequest:fileHashes:)``).
    public static func compute(fileRequest request: DatasetRequest, sourceFiles: [URL],
                               hashIndex: ContentHashIndex?) throws -> String {
        let roles: [String]
        switch request.kind {
        case .npy: roles = ["x", "y"]
        case .idx: roles = ["images", "labels"]
        default: roles = ["data", "test"]
        }
        let hashes = try sourceFiles.enumerated().map { i, url in
            (role: i < roles.count ? roles[i] : "file\(i)", name: url.lastPathComponent,
             sha256: try hashIndex?.sha256(of: url) ?? ContentHashIndex.hashFile(url))
        }
        return sha256Hex(Data(canonicalText(fileRequest: request, fileHashes: hashes).utf8))
    }

    static func sha256Hex<D: DataProtocol>(_ data: D) -> String {
        Hex.string(SHA256.hash(data: data))
    }
}

/// A small side index, `source-hashes.json` in the cache directory, from a file's identity
/// (path, size, modification and change times, device, inode) to the SHA-256 of its contents,
/// so that a warm start does not re-read and re-hash the 184 MB of CIFAR-10: measured 0.24–0.45 s
/// to hash them (release build, files in the page cache), 0.1 ms through the index.
///
/// An entry is used only if every part of the identity matches; rewriting, replacing or
/// touching a file changes its times and so forces a re-hash. Several processes may update the
/// index at once: writes are atomic renames, so the worst case is a lost entry (one re-hash).
public final class ContentHashIndex {
    public let url: URL
    private var entries: [String: String]
    private var dirty = false
    /// Files hashed (not found in the index) since this index was loaded.
    public private(set) var filesHashed = 0

    /// Loads the index from `directory` (an unreadable or malformed index is treated as empty).
    public init(directory: URL) {
        url = directory.appendingPathComponent("source-hashes.json")
        entries = (try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))) ?? [:]
    }

    /// The SHA-256 (hex) of the file's contents, from the index when its identity is unchanged.
    public func sha256(of file: URL) throws -> String {
        let key = try identity(of: file)
        if let hit = entries[key] { return hit }
        let hash = try Self.hashFile(file)
        let prefix = file.path + "\t"
        // Drop stale entries for the same path so the index does not grow without bound.
        for old in entries.keys where old.hasPrefix(prefix) { entries[old] = nil }
        entries[key] = hash
        dirty = true
        filesHashed += 1
        return hash
    }

    /// Writes the index if it changed (atomically: temp file, fsync, rename).
    public func save() throws {
        guard dirty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try CacheFile.replace(url, with: [UInt8](encoder.encode(entries)))
        dirty = false
    }

    private func identity(of file: URL) throws -> String {
        var st = stat()
        guard stat(file.path, &st) == 0 else {
            throw DatasetError(.unreadableFile, "Cannot read \(file.path): \(String(cString: strerror(errno))).")
        }
        #if canImport(Darwin)
        let (m, c) = (st.st_mtimespec, st.st_ctimespec)
        #else
        let (m, c) = (st.st_mtim, st.st_ctim)
        #endif
        return "\(file.path)\t\(st.st_size)\t\(m.tv_sec).\(m.tv_nsec)\t\(c.tv_sec).\(c.tv_nsec)\t\(st.st_dev)\t\(st.st_ino)"
    }

    /// SHA-256 (hex) of a file's contents, read in 4 MiB chunks.
    public static func hashFile(_ file: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw DatasetError(.unreadableFile, "Cannot open \(file.path) to hash it.")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 4 << 20) ?? Data() } catch {
                throw DatasetError(.unreadableFile, "Cannot read \(file.path): \(error.localizedDescription).")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return Hex.string(hasher.finalize())
    }
}
