import Foundation
import Testing
@testable import HypergridData
@testable import HypergridPreprocessing

/// The image layout that horizontal flips need: set by the loaders, kept through
/// standardisation and the cache, dropped by PCA.
@Suite struct ImageLayoutTests {
    @Test func loadersRecordTheirLayout() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 4, testCount: 2)
        let cifar = try DatasetRequest(kind: .cifar10, directory: dir.url.path, validationRows: 3, testRows: 2).loadRawSplits()
        #expect(cifar.imageLayout == ImageLayout(height: 32, width: 32, channels: 3))
        let idxDir = TempDir()
        try writeIDX(in: idxDir.url, trainCount: 20, testCount: 4, side: 3, gzipped: false)
        let idx = try DatasetRequest(kind: .fashionMNIST, directory: idxDir.url.path, validationRows: 5).loadRawSplits()
        #expect(idx.imageLayout == ImageLayout(height: 3, width: 3, channels: 1))
        let synthetic = try DatasetRequest(kind: .synthetic, trainRows: 20, validationRows: 5, testRows: 5).loadRawSplits()
        #expect(synthetic.imageLayout == nil)
    }

    /// Standardised pixels keep the layout, on a miss and on a cache hit; PCA components have none.
    @Test func preparationAndCacheKeepItUnlessPCA() throws {
        // Small 4×4 images: PCA on 3,072 CIFAR-10 features would take most of a minute in a
        // debug build, and the rule does not depend on the size.
        let data = TempDir(), cache = TempDir()
        try writeIDX(in: data.url, trainCount: 40, testCount: 8, side: 4, gzipped: false)
        let pixels = DatasetRequest(kind: .fashionMNIST, directory: data.url.path, validationRows: 8)
        let cold = try prepareDataset(pixels, cacheDirectory: cache.url)
        let warm = try prepareDataset(pixels, cacheDirectory: cache.url)
        #expect(cold.cacheStatus == .miss && warm.cacheStatus == .hit)
        #expect(cold.splits.imageLayout == ImageLayout(height: 4, width: 4, channels: 1))
        #expect(warm.splits.imageLayout == cold.splits.imageLayout)
        var pca = pixels
        pca.pcaVariance = 0.9
        let projected = try prepareDataset(pca, cacheDirectory: cache.url)
        let projectedWarm = try prepareDataset(pca, cacheDirectory: cache.url)
        #expect(projected.splits.imageLayout == nil && projectedWarm.splits.imageLayout == nil)
        #expect(projectedWarm.cacheStatus == .hit)
    }
}
