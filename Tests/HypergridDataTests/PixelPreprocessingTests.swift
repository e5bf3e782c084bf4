import Foundation
import Testing
@testable import HypergridData
@testable import HypergridPreprocessing

/// Bytes from four latent factors of distinct strengths plus a little noise, so that PCA's
/// leading components are well separated (their axes are well defined), and a constant last
/// column (only centred, never divided by its zero deviation).
private func pixelMatrix(rows: Int, columns: Int, seed: UInt64) -> PixelMatrix {
    var rng = ByteStream(state: seed)
    let strengths = [6.0, 4.0, 2.5, 1.5]
    var pixels = [UInt8](repeating: 77, count: rows * columns)
    for r in 0..<rows {
        let z = strengths.map { $0 * Double(Int(rng.next()) - 128) / 128 }
        for j in 0..<(columns - 1) {
            var v = 128.0 + Double(Int(rng.next() % 5) - 2)
            for (k, zk) in z.enumerated() { v += 8 * zk * cos(Double((k + 1) * (j + 1)) * 0.37) }
            pixels[r * columns + j] = UInt8(min(255, max(0, v.rounded())))
        }
    }
    return PixelMatrix(rows: rows, columns: columns, pixels: pixels, labels: .init(repeating: 0, count: rows))
}

private func floats(_ x: PixelMatrix) -> LabeledMatrix {
    LabeledMatrix(rows: x.rows, columns: x.columns, values: x.pixels.map(Float.init), labels: x.labels)
}

@Suite struct PixelPreprocessingTests {
    /// Both routes to `Σ x_i x_j` are exact: every entry on or above the diagonal is the
    /// integer itself, including past the float32 route's 1,024-row blocks and the VNNI
    /// kernel's 4,096-row chunks and 8 × 48 tiles (odd sizes leave partial ones).
    @Test(arguments: [(5, 7), (1_037, 61), (4_099, 50)])
    func gramIsExactOnEveryRoute(rows: Int, columns: Int) {
        var rng = ByteStream(state: UInt64(rows))
        let pixels = (0..<(rows * columns)).map { _ in rng.next() }
        let x = PixelMatrix(rows: rows, columns: columns, pixels: pixels, labels: .init(repeating: 0, count: rows))
        var exact = [Int](repeating: 0, count: columns * columns)
        for r in 0..<rows {
            for i in 0..<columns {
                for j in i..<columns { exact[i * columns + j] += Int(pixels[r * columns + i]) * Int(pixels[r * columns + j]) }
            }
        }
        var routes = [false]
        if PixelPreprocessing.vnniAvailable { routes.append(true) }
        for vnni in routes {
            let gram = PixelPreprocessing.pixelGram(x, vnni: vnni)
            var wrong = 0
            for i in 0..<columns { for j in i..<columns where gram[i * columns + j] != Double(exact[i * columns + j]) { wrong += 1 } }
            #expect(wrong == 0, "vnni \(vnni): \(wrong) entries differ")
        }
    }

    /// Fitted on bytes, the standardiser is the one fitted on their float32 values, bit for
    /// bit, and so are the standardised rows.
    @Test func standardisationOfBytesIsBitIdentical() {
        let x = pixelMatrix(rows: 333, columns: 40, seed: 5)
        let f = floats(x)
        let fromBytes = Standardizer.fit(x, divideByDeviation: true)
        #expect(fromBytes == Standardizer.fit(f, divideByDeviation: true))
        #expect(Standardizer.fit(x, divideByDeviation: false) == Standardizer.fit(f, divideByDeviation: false))
        let out = FloatStorage(zeroedCount: x.rows * x.columns)
        x.pixels.withUnsafeBufferPointer { fromBytes.apply(pixels: $0.baseAddress!, rows: x.rows, into: out.base) }
        fromBytes.apply(inPlace: f)
        #expect(Array(UnsafeBufferPointer(start: out.base, count: x.rows * x.columns)) == values(f))
    }

    /// The byte route gives the float route's components, eigenvalues and projections, to the
    /// PCA tests' tolerance (its covariance is exact where the float one is rounded).
    @Test func byteRouteMatchesTheFloatRoute() throws {
        let train = pixelMatrix(rows: 1_500, columns: 48, seed: 9), test = pixelMatrix(rows: 40, columns: 48, seed: 10)
        let raw = PixelSplits(name: "images", classCount: 1, train: train, validation: test, test: test, imageLayout: nil)
        let (splits, standardizer, pca) = try PixelPreprocessing.prepare(raw, divideByDeviation: true, varianceFraction: 0.9, log: nil)

        let f = floats(train), g = floats(test)
        let s = Standardizer.fit(f, divideByDeviation: true)
        s.apply(inPlace: f)
        s.apply(inPlace: g)
        let reference = try PCA.fit(f, varianceFraction: 0.9)
        #expect(standardizer == s)
        #expect(pca.components == reference.components && pca.components > 1 && pca.components < 48)
        #expect(abs(pca.retainedVariance - reference.retainedVariance) < 1e-6)
        for (a, b) in zip(pca.eigenvalues, reference.eigenvalues) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
        var worstAxis: Float = 0
        for (a, b) in zip(pca.basis, reference.basis) { worstAxis = max(worstAxis, abs(a - b)) }
        #expect(worstAxis < 1e-5)
        var worstValue: Float = 0
        for (a, b) in zip(values(splits.test), values(reference.project(g))) { worstValue = max(worstValue, abs(a - b)) }
        #expect(worstValue < 1e-4)
        #expect(splits.train.rows == 1_500 && splits.test.labels == test.labels && splits.featureCount == pca.components)
    }

    /// The same rows as `loadRawSplits()`, as bytes; other kinds have no byte route.
    @Test func cifarPixelSplitsAreTheFloatSplitsAsBytes() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 4, testCount: 5)
        let request = DatasetRequest(kind: .cifar10, directory: dir.url.path, trainRows: 15, validationRows: 3, testRows: 3)
        let pixels = try #require(try request.loadRawPixelSplits())
        let raw = try request.loadRawSplits()
        for (p, f) in [(pixels.train, raw.train), (pixels.validation, raw.validation), (pixels.test, raw.test)] {
            #expect(p.rows == f.rows && p.columns == f.columns && p.labels == f.labels)
            #expect(p.pixels.map(Float.init) == values(f))
        }
        #expect(pixels.imageLayout == raw.imageLayout && pixels.name == raw.name && pixels.classCount == raw.classCount)
        #expect(try DatasetRequest(kind: .synthetic).loadRawPixelSplits() == nil)
    }
}
