import CPixelGram
import HypergridData
import HypergridKernel

/// Standardisation and PCA of an 8-bit image dataset straight from its bytes, without the
/// float32 copy of every split that ``preprocess`` otherwise standardises in place: 737 MB
/// on CIFAR-10, where the bytes are 184 MB and the result (about 100 components) 24 MB.
///
/// Same numbers as that route up to the covariance's rounding: the standardiser is fitted
/// bit for bit as on the float32 values, each row is standardised to the same float32 values
/// before it is projected, and the basis comes from ``PCA/fit(covariance:features:varianceFraction:log:)``.
/// Only the covariance is computed differently, and more exactly (see ``pixelCovariance``).
enum PixelPreprocessing {
    /// Rows standardised at a time for the projection (12 MB of float32 for CIFAR-10).
    static let block = 1_024

    /// Fits the standardiser (dividing by the deviation or only centring) and PCA on the
    /// training split and returns every split standardised and projected.
    static func prepare(_ raw: PixelSplits, divideByDeviation: Bool, varianceFraction: Double,
                        log: ((String) -> Void)?) throws -> (splits: DatasetSplits, standardizer: Standardizer, pca: PCA) {
        let train = raw.train, d = train.columns
        try PCA.check(varianceFraction: varianceFraction, rows: train.rows)
        var clock = Stopwatch()
        let standardizer = Standardizer.fit(train, divideByDeviation: divideByDeviation)
        log?("Fitted the standardisation of \(d) pixel features on \(train.rows) rows in \(clock.lap()).")
        var covariance = pixelCovariance(train, standardizer: standardizer)
        log?("Covariance \(d)×\(d) over \(train.rows) rows, exact from the bytes (\(vnniAvailable ? "AVX-512 VNNI" : "gemm .tn") on the bytes) in \(clock.lap()).")
        let pca = try PCA.fit(covariance: &covariance, features: d, varianceFraction: varianceFraction, log: log)
        covariance = []
        _ = clock.lap()
        let splits = DatasetSplits(name: raw.name, classCount: raw.classCount,
                                   train: project(train, standardizer, pca), validation: project(raw.validation, standardizer, pca),
                                   test: project(raw.test, standardizer, pca))
        log?("Standardised and projected every split onto \(pca.components) components in \(clock.lap()).")
        return (splits, standardizer, pca)
    }

    /// Standardises `block` rows at a time into a float32 buffer and projects them with
    /// `gemm(.nt)`, as ``PCA/project(_:)`` does with the standardised matrix.
    static func project(_ x: PixelMatrix, _ standardizer: Standardizer, _ pca: PCA) -> LabeledMatrix {
        let d = x.columns, k = pca.components
        let out = FloatStorage(zeroedCount: x.rows * k)
        let buffer = FloatStorage(zeroedCount: min(block, max(x.rows, 1)) * d)
        x.pixels.withUnsafeBufferPointer { pixels in
            pca.basis.withUnsafeBufferPointer { basis in
                for r0 in stride(from: 0, to: x.rows, by: block) {
                    let rows = min(block, x.rows - r0)
                    standardizer.apply(pixels: pixels.baseAddress! + r0 * d, rows: rows, into: buffer.base)
                    gemm(.nt, m: rows, n: k, k: d, a: buffer.base, lda: d, b: basis.baseAddress!, ldb: d,
                         c: out.base + r0 * k, ldc: k, accumulate: false)
                }
            }
        }
        return LabeledMatrix(rows: x.rows, columns: k, features: out, labels: x.labels)
    }

    /// Whether this CPU runs the exact AVX-512 VNNI Gram kernel (CPixelGram).
    static let vnniAvailable = hg_pixel_gram_vnni_available() != 0

    /// The covariance `Zᵀ·Z / (N−1)` of the standardised rows `z = (x − μ) / σ`, from the
    /// bytes: `(G − s·sᵀ/N) / (N−1) / (σ·σᵀ)` with `G = Σ x·xᵀ` and `s = Σ x` over the rows,
    /// both exact integers (``pixelGram(_:vnni:tile:depth:)``), so the only rounding is this
    /// formula's, in float64. The float route (``PCA/covariance(_:tile:depth:)``) rounds each
    /// standardised value to float32 and sums products in float32 first.
    static func pixelCovariance(_ x: PixelMatrix, standardizer: Standardizer, vnni: Bool = vnniAvailable) -> [Double] {
        let n = x.rows, d = x.columns
        var gram = pixelGram(x, vnni: vnni)
        var sums = [Int](repeating: 0, count: d)
        x.pixels.withUnsafeBufferPointer { pixels in
            sums.withUnsafeMutableBufferPointer { s in
                for r in 0..<n {
                    let row = pixels.baseAddress! + r * d
                    for j in 0..<d { s[j] &+= Int(row[j]) }
                }
            }
        }
        let count = Double(n), denominator = Double(n - 1), scale = standardizer.scale
        for i in 0..<d {
            for j in i..<d {
                let centred = gram[i * d + j] - Double(sums[i]) * Double(sums[j]) / count
                let v = centred / denominator / (scale[i] * scale[j])
                gram[i * d + j] = v
                gram[j * d + i] = v
            }
        }
        return gram
    }

    /// `G[i·d + j] = Σ_r x_ri · x_rj` for `j ≥ i` (row-major `d × d`; entries below the
    /// diagonal are not meaningful), exactly: with the AVX-512 VNNI kernel where `vnni`, else
    /// with the project's float32 `gemm(.tn)` over blocks of `depth` rows of `y = x − 128`.
    ///
    /// Why the float route is exact: each product `y_i·y_j` is at most 128² = 2¹⁴, so every
    /// partial sum of a block of up to 1,024 rows is an integer below 2²⁴, which float32
    /// holds exactly whatever order the kernel adds in; blocks are added in float64, exact
    /// below 2⁵³, and `Σ x_i x_j = Σ y_i y_j + 128 (Σ y_i + Σ y_j) + 128² N` exactly. Both
    /// routes therefore give the same bits, and the covariance does not depend on the CPU.
    static func pixelGram(_ x: PixelMatrix, vnni: Bool = vnniAvailable, tile: Int = 512, depth: Int = 1_024) -> [Double] {
        let n = x.rows, d = x.columns
        var gram = [Double](repeating: 0, count: d * d)
        if vnni {
            if x.pixels.withUnsafeBufferPointer({ hg_pixel_gram_vnni($0.baseAddress, n, d, &gram) }) == 0 { return gram }
            // No memory for the kernel's packed blocks (about 25 MB for CIFAR-10): the portable route.
            gram = [Double](repeating: 0, count: d * d)
        }
        precondition(depth <= 1_024, "blocks of more than 1,024 rows of products up to 2¹⁴ may not sum exactly in float32")
        var sums = [Double](repeating: 0, count: d)
        let block = FloatStorage(zeroedCount: min(depth, max(n, 1)) * d)
        var part = [Float](repeating: 0, count: tile * tile)
        x.pixels.withUnsafeBufferPointer { pixels in
            gram.withUnsafeMutableBufferPointer { acc in
                part.withUnsafeMutableBufferPointer { c in
                    for p0 in stride(from: 0, to: n, by: depth) {
                        let rows = min(depth, n - p0)
                        let from = pixels.baseAddress! + p0 * d
                        for i in 0..<(rows * d) { block.base[i] = Float(Int(from[i]) - 128) }
                        for i in 0..<rows {
                            for j in 0..<d { sums[j] += Double(block.base[i * d + j]) }
                        }
                        // Tiles of the upper triangle only.
                        for i0 in stride(from: 0, to: d, by: tile) {
                            for j0 in stride(from: i0, to: d, by: tile) {
                                let m = min(tile, d - i0), w = min(tile, d - j0)
                                gemm(.tn, m: m, n: w, k: rows, a: block.base + i0, lda: d, b: block.base + j0, ldb: d,
                                     c: c.baseAddress!, ldc: w, accumulate: false)
                                for r in 0..<m {
                                    let out = acc.baseAddress! + (i0 + r) * d + j0
                                    for j in 0..<w { out[j] += Double(c[r * w + j]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        let offset = 128 * 128 * Double(n)
        for i in 0..<d {
            for j in i..<d { gram[i * d + j] += 128 * (sums[i] + sums[j]) + offset }
        }
        return gram
    }
}
