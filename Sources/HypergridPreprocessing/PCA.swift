import HypergridData
import HypergridKernel

/// Principal component analysis fitted on (already centred) training rows.
///
/// As the reference: covariance `Xᵀ·X / (N−1)`, eigen-decomposition, components sorted by
/// decreasing eigenvalue, and the smallest `k` whose cumulative share of the total variance
/// is at least the requested fraction. The covariance is computed in float32 with the
/// project's `gemm` (`.tn`), so it is bit-reproducible and gets faster with the kernel (or,
/// for 8-bit pixels, exactly from the bytes: ``PixelPreprocessing``); the eigenproblem is
/// solved in float64 by LAPACK, which computes every eigenvalue but only the `k` kept
/// eigenvectors (``SymmetricEigen``).
///
/// The training rows must already be centred (``Standardizer`` does that): the reference
/// subtracts the mean of the standardised data again, which is zero up to rounding.
public struct PCA: Sendable {
    /// Input features `D`.
    public let features: Int
    /// Retained components `k`.
    public let components: Int
    /// `k × D` row-major: row `r` is the unit-length `r`-th principal axis. Each axis's sign is
    /// fixed so that its largest-magnitude coordinate is positive, making the projection
    /// independent of which LAPACK build computed it.
    public let basis: [Float]
    /// All `D` eigenvalues of the covariance, largest first.
    public let eigenvalues: [Double]
    /// The share of the total variance the `k` retained components explain.
    public let retainedVariance: Double

    /// Fits on `train` (centred rows) keeping at least `varianceFraction` of the variance;
    /// `log` receives the duration of the covariance and of the eigen-decomposition.
    public static func fit(_ train: LabeledMatrix, varianceFraction: Double,
                           log: ((String) -> Void)? = nil) throws -> PCA {
        try check(varianceFraction: varianceFraction, rows: train.rows)
        var clock = Stopwatch()
        var matrix = covariance(train)
        log?("Covariance \(train.columns)×\(train.columns) over \(train.rows) rows (gemm .tn) in \(clock.lap()).")
        return try fit(covariance: &matrix, features: train.columns, varianceFraction: varianceFraction, log: log)
    }

    /// Throws the one-sentence errors of a fraction outside (0, 1] or fewer than 2 rows.
    static func check(varianceFraction: Double, rows n: Int) throws {
        guard varianceFraction > 0 && varianceFraction <= 1 else {
            throw DatasetError(.invalidParameter, "pcaVariance \(varianceFraction) is outside (0, 1]: give the fraction of variance PCA keeps, e.g. 0.9.")
        }
        guard n >= 2 else {
            throw DatasetError(.invalidParameter, "trainRows \(n) is too few for PCA, which needs at least 2 training rows.")
        }
    }

    /// Fits on a `d × d` covariance matrix (row-major, symmetric), which is overwritten.
    static func fit(covariance matrix: inout [Double], features d: Int, varianceFraction: Double,
                    log: ((String) -> Void)?) throws -> PCA {
        var clock = Stopwatch()
        var k = d, total = 0.0
        let eigen = try SymmetricEigen.largest(&matrix, n: d) { descending in
            total = descending.reduce(0, +)
            guard total > 0 && total.isFinite else { return 0 }
            var cumulative = 0.0
            for (i, value) in descending.enumerated() {
                cumulative += value
                if cumulative / total >= varianceFraction { k = i + 1; break }
            }
            return k
        }
        guard total > 0 && total.isFinite else {
            throw DatasetError(.numericalFailure, "The training split has no variance (total \(total)), so PCA cannot keep a fraction of it.")
        }
        let kernels = (try? LAPACKLibrary.shared.get())?.kernels.map { "; \($0)" } ?? ""
        log?("Eigen-decomposition (LAPACK dsytrd, dsterf; dstemr and dormtr for the \(k) kept eigenvectors\(kernels)) in \(clock.lap()).")
        var basis = [Float](repeating: 0, count: k * d)
        for r in 0..<k {
            let vector = eigen.vectors[(r * d)..<((r + 1) * d)]
            var argmax = vector.startIndex
            for j in vector.indices where abs(vector[j]) > abs(vector[argmax]) { argmax = j }
            let sign: Double = vector[argmax] < 0 ? -1 : 1
            for (j, value) in vector.enumerated() { basis[r * d + j] = Float(sign * value) }
        }
        let retained = eigen.descending[0..<k].reduce(0, +) / total
        return PCA(features: d, components: k, basis: basis, eigenvalues: eigen.descending, retainedVariance: retained)
    }

    /// `Xᵀ·X / (N−1)` in float64, from float32 `gemm(.tn)` calls on tiles of the upper
    /// triangle only (the lower one is mirrored): ~58% of the work of the full product on
    /// CIFAR-10.
    ///
    /// Each call covers a block of 256 rows and its float32 result is added into a float64
    /// accumulator. Two reasons: one float32 chain over all 49,000 rows loses enough precision
    /// to rotate the eigenvectors of close eigenvalues (measured against numpy's float64 on
    /// Fashion-MNIST: per-component correlation down to 0.9994), while 256-term chains do not;
    /// and the strided column reads of `.tn` stay within a cache-sized slab of `X` (measured
    /// ~5× faster than one call over all rows with the reference kernel). The order of every
    /// operation is fixed, so the result is reproducible bit for bit, and
    /// `fma(a, b, c) == fma(b, a, c)` makes the diagonal tiles exactly symmetric.
    static func covariance(_ x: LabeledMatrix, tile: Int = 512, depth: Int = 256) -> [Double] {
        let n = x.rows, d = x.columns
        var sum = [Double](repeating: 0, count: d * d)
        var part = [Float](repeating: 0, count: tile * tile)
        sum.withUnsafeMutableBufferPointer { acc in
            part.withUnsafeMutableBufferPointer { c in
                for i0 in stride(from: 0, to: d, by: tile) {
                    for j0 in stride(from: i0, to: d, by: tile) {
                        let m = min(tile, d - i0), w = min(tile, d - j0)
                        for p0 in stride(from: 0, to: n, by: depth) {
                            let rows = x.features.base + p0 * d
                            gemm(.tn, m: m, n: w, k: min(depth, n - p0), a: rows + i0, lda: d,
                                 b: rows + j0, ldb: d, c: c.baseAddress!, ldc: w, accumulate: false)
                            for r in 0..<m {
                                let out = acc.baseAddress! + (i0 + r) * d + j0
                                for j in 0..<w { out[j] += Double(c[r * w + j]) }
                            }
                        }
                    }
                }
            }
        }
        let denominator = Double(n - 1)
        for i in 0..<d {
            for j in i..<d {
                let v = sum[i * d + j] / denominator
                sum[i * d + j] = v
                sum[j * d + i] = v
            }
        }
        return sum
    }

    /// Projects `matrix`'s rows onto the retained axes: a new `rows × k` matrix with the same
    /// labels, computed with `gemm(.nt)` (`X · basisᵀ`, both operands read along rows).
    public func project(_ matrix: LabeledMatrix) -> LabeledMatrix {
        precondition(matrix.columns == features, "feature count differs from the fitted PCA")
        let out = FloatStorage(zeroedCount: matrix.rows * components)
        if matrix.rows > 0 {
            basis.withUnsafeBufferPointer { b in
                gemm(.nt, m: matrix.rows, n: components, k: features,
                     a: matrix.features.base, lda: features, b: b.baseAddress!, ldb: features,
                     c: out.base, ldc: components, accumulate: false)
            }
        }
        return LabeledMatrix(rows: matrix.rows, columns: components, features: out, labels: matrix.labels)
    }
}
