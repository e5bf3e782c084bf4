import Testing
@testable import HypergridKernel

// Shared pieces of the gradient checks.
//
// Method: the analytic gradient comes from the Float kernels under test; the numerical
// one is a central difference of a *Double* reference forward written here, step 1e-6.
// For the smooth losses used, its truncation error is O(h²·f''') ≈ 1e-12 and its rounding
// error ≈ 1e-16/1e-6 = 1e-10, both negligible.
//
// Tolerance: a Float gradient is a chain of at most a few dozen roundings (relative
// error 2⁻²⁴ ≈ 6e-8 each) of terms no larger than a few times the largest gradient entry
// of the tensor, so its error stays around 1e-6 of that entry (the largest seen in these
// tests is 6e-7). We accept `|analytic − numeric| ≤ 2e-5 · max|numeric|` per tensor:
// above the Float noise with a wide margin, yet 500× below the error of a gradient with
// one entry 1 % off (see `gradientCheckCatchesWrongGradients`).

/// Deterministic test data: Gaussian values from a Philox stream.
func gaussianArray(_ count: Int, seed: UInt64, std: Double = 1) -> [Double] {
    var g = Philox4x32(seed: seed, stream: 77)
    return (0..<count).map { _ in std * g.nextGaussian() }
}

func labelsArray(_ count: Int, classes: Int, seed: UInt64) -> [Int32] {
    var g = Philox4x32(seed: seed, stream: 78)
    return (0..<count).map { _ in Int32(g.nextInt(below: classes)) }
}

/// Central differences of `f` at `x`, one coordinate at a time.
func numericalGradient(at x: [Double], step h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
    var probe = x
    return x.indices.map { i in
        probe[i] = x[i] + h
        let up = f(probe)
        probe[i] = x[i] - h
        let down = f(probe)
        probe[i] = x[i]
        return (up - down) / (2 * h)
    }
}

/// `max|a − n| / max|n|`: the error measure the tolerance above bounds.
func relativeGradientError(analytic: [Float], numeric: [Double]) -> Double {
    precondition(analytic.count == numeric.count)
    let scale = numeric.map(abs).max() ?? 0
    let worst = zip(analytic, numeric).map { abs(Double($0) - $1) }.max() ?? 0
    return scale == 0 ? worst : worst / scale
}

let gradientTolerance = 2e-5

/// Records a failure naming `what` when the analytic gradient is off.
func expectGradient(_ analytic: [Float], _ numeric: [Double], _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let error = relativeGradientError(analytic: analytic, numeric: numeric)
    #expect(error <= gradientTolerance, "\(what): relative gradient error \(error)",
            sourceLocation: sourceLocation)
    // A gradient check on an all-zero gradient would prove nothing.
    #expect((numeric.map(abs).max() ?? 0) > 1e-6, "\(what): numeric gradient is all zero",
            sourceLocation: sourceLocation)
}

extension Array where Element == Double {
    var floats: [Float] { map { Float($0) } }
}

extension Array where Element == Float {
    var doubles: [Double] { map { Double($0) } }
}
