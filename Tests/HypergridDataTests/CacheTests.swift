import Foundation
import Testing
@testable import HypergridData
@testable import HypergridPreprocessing

private let small = DatasetRequest(kind: .synthetic, trainRows: 120, validationRows: 30, testRows: 20,
                                   pcaVariance: 0.9, syntheticFeatures: 10, syntheticSeed: 2)

private func patch(_ url: URL, at offset: Int, _ change: (inout UInt8) -> Void) throws {
    var bytes = [UInt8](try Data(contentsOf: url))
    change(&bytes[offset])
    try Data(bytes).write(to: url)
}

private func sameData(_ a: PreparedDataset, _ b: PreparedDataset) -> Bool {
    values(a.splits.train) == values(b.splits.train) && values(a.splits.validation) == values(b.splits.validation)
        && values(a.splits.test) == values(b.splits.test) && a.splits.train.labels == b.splits.train.labels
        && a.splits.test.labels == b.splits.test.labels && a.pcaComponents == b.pcaComponents
}

@Suite struct CacheTests {
    @Test func missThenHitMapsTheSameData() throws {
        let dir = TempDir()
        let cold = try prepareDataset(small, cacheDirectory: dir.url)
        #expect(cold.cacheStatus == .miss && !cold.loadedFromCache)
        let file = try #require(cold.cacheFile)
        #expect(file == DatasetCache.fileURL(fingerprint: cold.fingerprint, directory: dir.url))
        #expect(try cacheFileURL(for: small, cacheDirectory: dir.url) == file)
        #expect(try datasetFingerprint(small, cacheDirectory: dir.url) == cold.fingerprint)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        // The features are 64-byte aligned within the file (and so within the mapping).
        let warm = try prepareDataset(small, cacheDirectory: dir.url)
        #expect(warm.cacheStatus == .hit && warm.loadedFromCache)
        #expect(Int(bitPattern: warm.splits.train.features.base) % 64 == 0)
        #expect(sameData(cold, warm))
        #expect(warm.fingerprint == cold.fingerprint && warm.retainedVariance == cold.retainedVariance)
        // No temporary files left behind (synthetic data has no source files to index).
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.url.path)
        #expect(names == [file.lastPathComponent])
    }

    @Test func staleVersionIsReportedAndRebuilt() throws {
        let dir = TempDir()
        let cold = try prepareDataset(small, cacheDirectory: dir.url)
        try patch(cold.cacheFile!, at: 8) { $0 &+= 1 }
        var lines: [String] = []
        let again = try prepareDataset(small, cacheDirectory: dir.url, log: { lines.append($0) })
        guard case .stale(let reason) = again.cacheStatus else { Issue.record("expected stale, got \(again.cacheStatus)"); return }
        #expect(reason.contains("format version \(DatasetCache.formatVersion + 1), not \(DatasetCache.formatVersion)"))
        #expect(lines.first?.contains("stale cache rebuilt") == true)
        #expect(sameData(cold, again))
        #expect(try prepareDataset(small, cacheDirectory: dir.url).cacheStatus == .hit)
    }

    @Test func cacheOfAnotherDatasetIsStale() throws {
        let dir = TempDir()
        let other = try prepareDataset(DatasetRequest(kind: .synthetic, trainRows: 50, validationRows: 5, testRows: 5,
                                                      syntheticFeatures: 4), cacheDirectory: dir.url)
        let fingerprint = try DatasetFingerprint.compute(small, sizes: small.resolveSplitSizes(), sourceFiles: [], hashIndex: nil)
        try FileManager.default.copyItem(at: other.cacheFile!, to: DatasetCache.fileURL(fingerprint: fingerprint, directory: dir.url))
        let prepared = try prepareDataset(small, cacheDirectory: dir.url)
        guard case .stale(let reason) = prepared.cacheStatus else { Issue.record("expected stale, got \(prepared.cacheStatus)"); return }
        #expect(reason.contains("not the requested"))
        #expect(prepared.splits.featureCount == prepared.pcaComponents)
    }

    @Test(arguments: ["flip", "truncate", "empty", "magic"])
    func corruptIsReportedAndRebuilt(damage: String) throws {
        let dir = TempDir()
        let cold = try prepareDataset(small, cacheDirectory: dir.url)
        let url = cold.cacheFile!
        switch damage {
        case "flip": try patch(url, at: 64 + 4 * 7) { $0 ^= 0x10 }
        case "truncate": try Data(contentsOf: url).dropLast(9).write(to: url)
        case "empty": try Data().write(to: url)
        default: try patch(url, at: 0) { $0 = UInt8(ascii: "X") }
        }
        let again = try prepareDataset(small, cacheDirectory: dir.url)
        guard case .corrupt(let reason) = again.cacheStatus else { Issue.record("expected corrupt, got \(again.cacheStatus)"); return }
        #expect(reason.contains(url.path))
        #expect(sameData(cold, again))
        #expect(try prepareDataset(small, cacheDirectory: dir.url).cacheStatus == .hit)
    }

    @Test func directLoadChecksTheFingerprint() throws {
        let dir = TempDir()
        let cold = try prepareDataset(small, cacheDirectory: dir.url)
        #expect(try DatasetCache.load(cacheFile: cold.cacheFile!, expectedFingerprint: nil).fingerprint == cold.fingerprint)
        let e = datasetError { _ = try DatasetCache.load(cacheFile: cold.cacheFile!, expectedFingerprint: String(repeating: "0", count: 64)) }
        #expect(e?.code == .staleCache)
    }

    @Test func exportAndImportBytes() throws {
        let here = TempDir(), remote = TempDir()
        let cold = try prepareDataset(small, cacheDirectory: here.url)
        let bytes = try Data(contentsOf: cold.cacheFile!)
        let installed = try DatasetCache.importData(bytes, expectedFingerprint: cold.fingerprint, directory: remote.url)
        #expect(installed == DatasetCache.fileURL(fingerprint: cold.fingerprint, directory: remote.url))
        #expect(sameData(cold, try DatasetCache.load(cacheFile: installed, expectedFingerprint: cold.fingerprint)))

        let wrong = datasetError { try DatasetCache.importData(bytes, expectedFingerprint: String(repeating: "a", count: 64), directory: remote.url) }
        #expect(wrong?.code == .staleCache)
        var damaged = bytes
        damaged[damaged.count / 2] ^= 1
        let corrupt = datasetError { try DatasetCache.importData(damaged, expectedFingerprint: cold.fingerprint, directory: remote.url) }
        #expect(corrupt?.code == .corruptCache)
    }

    @Test func unusableCacheDirectory() throws {
        let dir = TempDir()
        try Data("x".utf8).write(to: dir.file("plain-file"))
        let bad = dir.file("plain-file").appendingPathComponent("cache")
        let e = datasetError { _ = try prepareDataset(small, cacheDirectory: bad) }
        #expect(e?.code == .unusableCacheDirectory)
        #expect(e?.description.hasPrefix("The cache directory \(bad.path) cannot be created") == true)
    }

    @Test func disabledCacheWritesNothing() throws {
        let dir = TempDir()
        let p = try prepareDataset(small, cacheDirectory: dir.url, useCache: false)
        #expect(p.cacheStatus == .disabled && p.cacheFile == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}

@Suite struct FingerprintTests {
    private func fingerprint(_ r: DatasetRequest, index: ContentHashIndex? = nil) throws -> String {
        try DatasetFingerprint.compute(r, sizes: r.resolveSplitSizes(), sourceFiles: r.sourceFiles(), hashIndex: index)
    }

    @Test func stableAcrossCallsAndLocations() throws {
        let a = TempDir(), b = TempDir()
        try writeCIFAR(in: a.url, perFile: 3, testCount: 2)
        try writeCIFAR(in: b.url, perFile: 3, testCount: 2)
        let ra = DatasetRequest(kind: .cifar10, directory: a.url.path, validationRows: 2, testRows: 2)
        var rb = ra
        rb.directory = b.url.path
        let fa = try fingerprint(ra)
        #expect(fa.count == 64 && fa.allSatisfy { $0.isHexDigit })
        #expect(try fingerprint(ra) == fa)
        #expect(try fingerprint(rb) == fa)
        // nil defaults and the same explicit sizes are the same data.
        var explicit = ra
        explicit.trainRows = 13
        #expect(try fingerprint(explicit) == fa)
        // PCA implies dividing by the deviation, whatever `standardize` says.
        var p1 = ra, p2 = ra
        p1.pcaVariance = 0.9; p2.pcaVariance = 0.9; p2.standardize = false
        #expect(try fingerprint(p1) == fingerprint(p2))
    }

    @Test func sensitiveToContentsSplitsAndPreprocessing() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 3, testCount: 2)
        let base = DatasetRequest(kind: .cifar10, directory: dir.url.path, validationRows: 2, testRows: 2)
        let f = try fingerprint(base)
        var changes: [DatasetRequest] = []
        for edit in [{ (r: inout DatasetRequest) in r.trainRows = 12 }, { $0.validationRows = 3 }, { $0.testRows = 1 },
                     { $0.standardize = false }, { $0.pcaVariance = 0.9 }] {
            var r = base
            edit(&r)
            changes.append(r)
        }
        var pca95 = base
        pca95.pcaVariance = 0.95
        changes.append(pca95)
        let all = try changes.map { try fingerprint($0) }
        #expect(Set(all + [f]).count == all.count + 1)
        // One pixel changed in one file.
        try patch(dir.file("data_batch_5.bin"), at: 100) { $0 ^= 1 }
        #expect(try fingerprint(base) != f)
    }

    @Test func hashIndexSkipsUnchangedFilesAndNoticesRewrites() throws {
        let data = TempDir(), cache = TempDir()
        try writeCIFAR(in: data.url, perFile: 3, testCount: 2)
        let r = DatasetRequest(kind: .cifar10, directory: data.url.path, validationRows: 2, testRows: 2)
        let first = ContentHashIndex(directory: cache.url)
        let f = try fingerprint(r, index: first)
        #expect(first.filesHashed == 6)
        try first.save()
        let second = ContentHashIndex(directory: cache.url)
        #expect(try fingerprint(r, index: second) == f)
        #expect(second.filesHashed == 0)
        // Same size, different bytes: the times change, so the file is hashed again.
        try writeCIFAR(in: data.url, perFile: 3, testCount: 2, seed: 99)
        let third = ContentHashIndex(directory: cache.url)
        #expect(try fingerprint(r, index: third) != f)
        #expect(third.filesHashed == 6)
        #expect(try fingerprint(r) == fingerprint(r, index: third))
    }
}
