import Foundation
import Testing
@testable import HypergridData
@testable import HypergridPreprocessing

/// `N` rows (a multiple of 8) with a known covariance after standardisation: features
/// `[z1, z1, z1, z2, −z2, z3]` (each then scaled and shifted), where `z1, z2, z3` are ±1
/// patterns that are exactly zero-mean and mutually orthogonal. The eigenvalues are
/// `N/(N−1) · (3, 2, 1, 0, 0, 0)`: fractions 0.5, 0.833…, 1.
private func knownSpectrum(rows n: Int) -> LabeledMatrix {
    var v: [Float] = []
    for r in 0..<n {
        let z1: Float = r % 2 == 0 ? 1 : -1, z2: Float = (r / 2) % 2 == 0 ? 1 : -1, z3: Float = (r / 4) % 2 == 0 ? 1 : -1
        let f = [z1, z1, z1, z2, -z2, z3]
        let scale: [Float] = [2, 3, 0.5, 4, 1, 8], shift: [Float] = [100, -3, 7, 0, 50, 1]
        v += (0..<6).map { f[$0] * scale[$0] + shift[$0] }
    }
    return LabeledMatrix(rows: n, columns: 6, values: v, labels: .init(repeating: 0, count: n))
}

@Suite struct PreprocessingTests {
    @Test(arguments: [(0.4, 1), (0.6, 2), (0.9, 3), (0.95, 3)])
    func pcaKeepsTheSmallestCountReachingTheFraction(fraction: Double, expected: Int) throws {
        let x = knownSpectrum(rows: 64)
        Standardizer.fit(x, divideByDeviation: true).apply(inPlace: x)
        let pca = try PCA.fit(x, varianceFraction: fraction)
        #expect(pca.components == expected)
        let scaled = pca.eigenvalues.map { $0 * 63 / 64 }
        for (got, want) in zip(scaled, [3.0, 2, 1, 0, 0, 0]) { #expect(abs(got - want) < 1e-4) }
        #expect(abs(pca.retainedVariance - [0.5, 5.0 / 6, 1][expected - 1]) < 1e-5)
    }

    @Test func pcaAxesAndReconstruction() throws {
        let x = knownSpectrum(rows: 64)
        Standardizer.fit(x, divideByDeviation: true).apply(inPlace: x)
        let pca = try PCA.fit(x, varianceFraction: 0.99)
        #expect(pca.components == 3)
        // Axes with a fixed sign: largest-magnitude coordinate positive.
        let s3 = Float(1 / 3.0.squareRoot()), s2 = Float(1 / 2.0.squareRoot())
        let expected: [[Float]] = [[s3, s3, s3, 0, 0, 0], [0, 0, 0, s2, -s2, 0], [0, 0, 0, 0, 0, 1]]
        for r in 0..<3 {
            for j in 0..<6 { #expect(abs(pca.basis[r * 6 + j] - expected[r][j]) < 1e-5) }
        }
        // Three components reconstruct the standardised rows: Y · basis ≈ X.
        let y = pca.project(x)
        #expect(y.rows == 64 && y.columns == 3)
        var worst: Float = 0
        for i in 0..<64 {
            for j in 0..<6 {
                let back = (0..<3).reduce(Float(0)) { $0 + y.row(i)[$1] * pca.basis[$1 * 6 + j] }
                worst = max(worst, abs(back - x.row(i)[j]))
            }
        }
        #expect(worst < 1e-4)
    }

    @Test func tiledBlockedCovarianceMatchesTheDefinition() throws {
        // Small tiles and row blocks so that edge tiles and several blocks are exercised.
        let x = try DatasetRequest(kind: .synthetic, trainRows: 50, validationRows: 0, testRows: 0,
                                   syntheticFeatures: 10).loadRawSplits().train
        let cov = PCA.covariance(x, tile: 4, depth: 16)
        for i in 0..<10 {
            for j in 0..<10 {
                let exact = (0..<50).reduce(0.0) { $0 + Double(x.row($1)[i]) * Double(x.row($1)[j]) } / 49
                #expect(abs(cov[i * 10 + j] - exact) <= 1e-5 * max(1, abs(exact)))
                #expect(cov[i * 10 + j] == cov[j * 10 + i])
            }
        }
        #expect(PCA.covariance(x, tile: 4, depth: 16) == cov)
    }

    @Test func standardisationIsFittedOnTrainOnly() throws {
        let request = DatasetRequest(kind: .synthetic, trainRows: 300, validationRows: 50, testRows: 40,
                                     standardize: true, syntheticFeatures: 5, syntheticSeed: 3)
        let raw = try request.loadRawSplits()
        let prepared = try prepareDataset(request, useCache: false)
        #expect(prepared.cacheStatus == .disabled && prepared.cacheFile == nil)
        let d = 5
        for j in 0..<d {
            let column = (0..<300).map { Double(raw.train.row($0)[j]) }
            let mu = column.reduce(0, +) / 300
            let sd = (column.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 300).squareRoot() + 1e-8
            // Train is standardised to mean 0, deviation 1 …
            let out = (0..<300).map { Double(prepared.splits.train.row($0)[j]) }
            let outMean = out.reduce(0, +) / 300
            #expect(abs(outMean) < 1e-6)
            #expect(abs((out.map { $0 * $0 }.reduce(0, +) / 300).squareRoot() - 1) < 1e-5)
            // … and validation and test use the training statistics, not their own.
            for i in 0..<50 {
                #expect(prepared.splits.validation.row(i)[j] == Float((Double(raw.validation.row(i)[j]) - mu) / sd))
            }
            for i in 0..<40 {
                #expect(prepared.splits.test.row(i)[j] == Float((Double(raw.test.row(i)[j]) - mu) / sd))
            }
        }
    }

    @Test func centringOnlyWithoutStandardize() throws {
        let request = DatasetRequest(kind: .synthetic, trainRows: 100, validationRows: 10, testRows: 10,
                                     standardize: false, syntheticFeatures: 3)
        let raw = try request.loadRawSplits()
        let prepared = try prepareDataset(request, useCache: false)
        let mu = (0..<100).map { Double(raw.train.row($0)[1]) }.reduce(0, +) / 100
        #expect(prepared.splits.validation.row(4)[1] == Float(Double(raw.validation.row(4)[1]) - mu))
    }

    @Test func constantFeatureIsOnlyCentred() {
        let train = LabeledMatrix(rows: 3, columns: 2, values: [0, 1, 0, 2, 0, 3], labels: [0, 0, 0])
        let s = Standardizer.fit(train, divideByDeviation: true)
        #expect(s.scale[0] == 1 && s.mean[0] == 0)
        let val = LabeledMatrix(rows: 1, columns: 2, values: [5, 2], labels: [0])
        s.apply(inPlace: val)
        #expect(val.row(0)[0] == 5 && val.row(0)[1] == 0)
    }

    @Test func pcaProjectsEverySplitWithTheTrainingBasis() throws {
        let request = DatasetRequest(kind: .synthetic, trainRows: 200, validationRows: 30, testRows: 20,
                                     pcaVariance: 0.8, syntheticFeatures: 12, syntheticSeed: 9)
        let prepared = try prepareDataset(request, useCache: false)
        let k = try #require(prepared.pcaComponents)
        #expect(k > 0 && k < 12 && prepared.splits.featureCount == k)
        #expect(prepared.retainedVariance! >= 0.8)
        // Rebuild by hand: standardise with train statistics, fit on train, project validation.
        let raw = try request.loadRawSplits()
        let s = Standardizer.fit(raw.train, divideByDeviation: true)
        for m in [raw.train, raw.validation] { s.apply(inPlace: m) }
        let pca = try PCA.fit(raw.train, varianceFraction: 0.8)
        #expect(values(pca.project(raw.validation)) == values(prepared.splits.validation))
    }

    @Test(arguments: [0.0, -0.1, 1.5, Double.nan])
    func badPCAFraction(fraction: Double) {
        let e = datasetError { _ = try prepareDataset(DatasetRequest(kind: .synthetic, pcaVariance: fraction), useCache: false) }
        #expect(e?.code == .invalidParameter)
        #expect(e?.description.hasPrefix("pcaVariance") == true)
        #expect(e?.description.contains("outside (0, 1]") == true)
    }

    @Test func tooManyValidationRows() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 2, testCount: 2)
        let e = datasetError { _ = try prepareDataset(DatasetRequest(kind: .cifar10, directory: dir.url.path, validationRows: 11, testRows: 1), useCache: false) }
        #expect(e?.code == .notEnoughRows)
        #expect(e?.description == "validationRows 11 is more than the 10 training rows of cifar10.")
        let both = datasetError { _ = try DatasetRequest(kind: .cifar10, directory: dir.url.path, trainRows: 8, validationRows: 3, testRows: 1).resolveSplitSizes() }
        #expect(both?.description == "trainRows 8 plus validationRows 3 is more than the 10 training rows of cifar10.")
        let test = datasetError { _ = try DatasetRequest(kind: .cifar10, directory: dir.url.path, validationRows: 1, testRows: 3).resolveSplitSizes() }
        #expect(test?.description == "testRows 3 is more than the 2 test rows of cifar10.")
    }
}

@Suite struct SyntheticTests {
    @Test func seededAndStableAcrossTrainSizes() throws {
        let a = try DatasetRequest(kind: .synthetic, trainRows: 50, validationRows: 20, testRows: 10, syntheticSeed: 4).loadRawSplits()
        let b = try DatasetRequest(kind: .synthetic, trainRows: 80, validationRows: 20, testRows: 10, syntheticSeed: 4).loadRawSplits()
        let c = try DatasetRequest(kind: .synthetic, trainRows: 50, validationRows: 20, testRows: 10, syntheticSeed: 5).loadRawSplits()
        #expect(values(a.validation) == values(b.validation) && a.validation.labels == b.validation.labels)
        #expect(values(a.train) == Array(values(b.train)[0..<(50 * 64)]))
        #expect(values(a.train) != values(c.train))
        #expect(try DatasetRequest(kind: .synthetic).resolveSplitSizes() == SyntheticDataset.defaultSizes)
    }

    @Test func learnableButNotTrivial() throws {
        let s = try DatasetRequest(kind: .synthetic, trainRows: 3_000, validationRows: 1_000, testRows: 0,
                                   syntheticFeatures: 32, syntheticClasses: 10).loadRawSplits()
        // Nearest class mean, fitted on train, scored on validation.
        var means = [[Double]](repeating: .init(repeating: 0, count: 32), count: 10)
        var counts = [Double](repeating: 0, count: 10)
        for i in 0..<s.train.rows {
            let c = Int(s.train.labels[i]); counts[c] += 1
            for j in 0..<32 { means[c][j] += Double(s.train.row(i)[j]) }
        }
        for c in 0..<10 { means[c] = means[c].map { $0 / counts[c] } }
        var right = 0
        for i in 0..<s.validation.rows {
            let best = (0..<10).min { a, b in
                let da = (0..<32).reduce(0.0) { $0 + pow(Double(s.validation.row(i)[$1]) - means[a][$1], 2) }
                let db = (0..<32).reduce(0.0) { $0 + pow(Double(s.validation.row(i)[$1]) - means[b][$1], 2) }
                return da < db
            }!
            if best == Int(s.validation.labels[i]) { right += 1 }
        }
        let accuracy = Double(right) / 1_000
        #expect(accuracy > 0.6 && accuracy < 0.99, "nearest-mean accuracy \(accuracy)")
    }
}
