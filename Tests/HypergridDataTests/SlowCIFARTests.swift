import Foundation
import Testing
@testable import HypergridData
@testable import HypergridPreprocessing
#if canImport(Glibc)
import Glibc
#endif

/// The shared CIFAR-10 copy: `HYPERGRID_CIFAR_DIR`, else `../shared/data/cifar-10-batches-bin`
/// beside the package root (where the project's machines keep it).
private var sharedCIFAR: URL {
    if let dir = ProcessInfo.processInfo.environment["HYPERGRID_CIFAR_DIR"] { return URL(fileURLWithPath: dir) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/data/cifar-10-batches-bin")
}

/// Opt-in only (`HYPERGRID_SLOW_TESTS=1`): with the reference GEMM the CIFAR-10 covariance
/// alone takes many minutes, far too long for every `swift test`. Run it in release:
/// `HYPERGRID_SLOW_TESTS=1 swift test -c release -Xswiftc -enable-testing --filter SlowCIFAR`.
private let slowTestsEnabled = ProcessInfo.processInfo.environment["HYPERGRID_SLOW_TESTS"] == "1"

/// Where the slow tests keep their cache files: `HYPERGRID_SLOW_CACHE_DIR` (kept afterwards, to
/// compare them with the numpy reference) or a temporary directory.
private func slowCacheDirectory() -> (url: URL, keepAlive: TempDir?) {
    if let dir = ProcessInfo.processInfo.environment["HYPERGRID_SLOW_CACHE_DIR"] {
        return (URL(fileURLWithPath: dir, isDirectory: true), nil)
    }
    let temp = TempDir()
    return (temp.url, temp)
}

private func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024 // kilobytes on Linux
}

/// The current resident set, from `/proc/self/statm` (pages).
private func currentRSSMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return -1 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

private func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

@Suite(.serialized, .enabled(if: slowTestsEnabled, "set HYPERGRID_SLOW_TESTS=1 to preprocess the real CIFAR-10"))
struct SlowCIFARTests {
    @Test func pca90OnRealCIFAR10ColdThenWarm() throws {
        let cache = slowCacheDirectory()
        let request = DatasetRequest(kind: .cifar10, directory: sharedCIFAR.path, pcaVariance: 0.9)
        var cold: PreparedDataset!
        let coldSeconds = try seconds { cold = try prepareDataset(request, cacheDirectory: cache.url, log: { print("  " + $0) }) }
        let coldRSS = peakRSSMegabytes()
        // The 600 MB standardised training copy is gone once projected: what remains is the
        // projected data (~20 MB) and the runtime.
        let afterRSS = currentRSSMegabytes()
        #expect(afterRSS > 0 && afterRSS < 300)
        #expect(cold.cacheStatus == .miss)
        #expect(cold.splits.train.rows == 49_000 && cold.splits.validation.rows == 1_000 && cold.splits.test.rows == 1_000)
        let k = try #require(cold.pcaComponents)
        #expect((97...99).contains(k))
        #expect(cold.splits.featureCount == k)

        var warm: PreparedDataset!
        let warmSeconds = try seconds { warm = try prepareDataset(request, cacheDirectory: cache.url, log: { print("  " + $0) }) }
        #expect(warm.loadedFromCache)
        #expect(warm.fingerprint == cold.fingerprint)
        #expect(values(warm.splits.train) == values(cold.splits.train))
        #expect(values(warm.splits.test) == values(cold.splits.test))
        #expect(warmSeconds < 1)
        print("CIFAR-10 PCA 0.9: \(k) components (\(cold.retainedVariance!) of the variance); cold \(String(format: "%.1f", coldSeconds)) s, warm \(String(format: "%.3f", warmSeconds)) s; peak RSS after cold \(Int(coldRSS)) MB, resident after cold \(Int(afterRSS)) MB; fingerprint \(cold.fingerprint)")
    }

    @Test func standardizedOnlyRealCIFAR10ColdThenWarm() throws {
        let cache = TempDir()
        let request = DatasetRequest(kind: .cifar10, directory: sharedCIFAR.path, standardize: true)
        var cold: PreparedDataset!
        let coldSeconds = try seconds { cold = try prepareDataset(request, cacheDirectory: cache.url, log: { print("  " + $0) }) }
        #expect(cold.splits.featureCount == 3_072)
        cold = nil
        var warm: PreparedDataset!
        let warmSeconds = try seconds { warm = try prepareDataset(request, cacheDirectory: cache.url, log: { print("  " + $0) }) }
        #expect(warm.loadedFromCache)
        #expect(warmSeconds < 1)
        // Standardised training features have mean ≈ 0 and population deviation ≈ 1.
        let column = (0..<warm.splits.train.rows).map { Double(warm.splits.train.row($0)[100]) }
        let mean = column.reduce(0, +) / Double(column.count)
        let sd = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)).squareRoot()
        #expect(abs(mean) < 1e-4 && abs(sd - 1) < 1e-4)
        print("CIFAR-10 standardised (3,072 features): cold \(String(format: "%.1f", coldSeconds)) s, warm (mmap + CRC-32 of the 615 MB file) \(String(format: "%.3f", warmSeconds)) s")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: installedFashionMNIST + "/train-images-idx3-ubyte.gz"),
                   "needs Debian's dataset-fashion-mnist (scripts/install-deps.sh installs it)"))
    func pca90OnInstalledFashionMNIST() throws {
        let cache = slowCacheDirectory()
        let request = DatasetRequest(kind: .fashionMNIST, pcaVariance: 0.9)
        var cold: PreparedDataset!
        let coldSeconds = try seconds { cold = try prepareDataset(request, cacheDirectory: cache.url, log: { print("  " + $0) }) }
        #expect(cold.splits.train.rows == 55_000 && cold.splits.validation.rows == 5_000 && cold.splits.test.rows == 10_000)
        let k = try #require(cold.pcaComponents)
        #expect(k > 10 && k < 784)
        let warmSeconds = try seconds { _ = try prepareDataset(request, cacheDirectory: cache.url) }
        print("Fashion-MNIST PCA 0.9: \(k) components; cold \(String(format: "%.1f", coldSeconds)) s, warm \(String(format: "%.3f", warmSeconds)) s")
    }

    @Test func hashingTheSourcesVersusTheSideIndex() throws {
        let request = DatasetRequest(kind: .cifar10, directory: sharedCIFAR.path)
        let files = try request.sourceFiles()
        let sizes = try request.resolveSplitSizes()
        let cache = TempDir()
        let index = ContentHashIndex(directory: cache.url)
        var direct = "", indexed = ""
        let hashSeconds = try seconds { direct = try DatasetFingerprint.compute(request, sizes: sizes, sourceFiles: files, hashIndex: index) }
        try index.save()
        let warmIndex = ContentHashIndex(directory: cache.url)
        let indexSeconds = try seconds { indexed = try DatasetFingerprint.compute(request, sizes: sizes, sourceFiles: files, hashIndex: warmIndex) }
        #expect(direct == indexed && warmIndex.filesHashed == 0)
        #expect(indexSeconds < hashSeconds)
        print("Fingerprint of CIFAR-10 (6 files, 184 MB): hashing \(String(format: "%.3f", hashSeconds)) s, through the side index \(String(format: "%.4f", indexSeconds)) s")
    }
}
