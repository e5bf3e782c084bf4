// Vectorised update rules. Each computes, lane by lane, exactly the expression of the
// plain loop of the same name in Optimizer.swift (the reference), in the same order
// of operations: Swift never contracts `a * b + c` into an FMA and SIMD `sqrt` and `/`
// are correctly rounded like their scalar forms, so every element gets the same bits
// (tested with `==` in OptimizerTests). The tail shorter than one vector runs through
// the plain loop itself.
//
// Why explicit SIMD: LLVM left Adam's loop scalar (a `sqrtf` call for the negative-
// input path and a division per element), and Adam's update was ~20 % of a
// [256,128,64] BatchNorm training step at D = 3072. The square root goes through
// the `vsqrtps` intrinsic (see `squareRoot(_:)`).

#if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

/// One vector of the update loops: a ymm register (the build's baseline, x86-64-v3).
/// The loops are elementwise, so the width never changes their bits; only the GEMM
/// has an AVX-512 copy (`GEMMKernelPath`), which keeps this module free of AVX-512 code.
typealias UpdateVector = SIMD8<Float>

/// Lane-wise IEEE square root (correctly rounded, like `Float.squareRoot()`).
///
/// `SIMD.squareRoot()` is a per-lane loop over `Float.squareRoot()`, which goes through
/// a C `sqrtf` with an errno slow path that LLVM will not vectorise: eight `vsqrtss`
/// and eight branches per vector. The intrinsic is one `vsqrtps`, same bits.
@inline(__always)
func squareRoot(_ v: UpdateVector) -> UpdateVector {
    #if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
    return _mm256_sqrt_ps(v)
    #else
    return v.squareRoot()
    #endif
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> UpdateVector {
    UnsafeRawPointer(p).loadUnaligned(as: UpdateVector.self)
}

@inline(__always)
private func vstore(_ v: UpdateVector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: UpdateVector.self)
}

/// `w -= shrink·w` on `count` floats; same bits as ``decoupledDecay``.
@inline(__always)
func decoupledDecaySIMD(_ w: UnsafeMutablePointer<Float>, count: Int, shrink: Float) {
    let width = UpdateVector.scalarCount
    let shrinkV = UpdateVector(repeating: shrink)
    var i = 0
    while i + width <= count {
        let wi = load(w + i)
        vstore(wi - shrinkV * wi, w + i)
        i += width
    }
    decoupledDecay(w + i, count: count - i, shrink: shrink)
}

/// `w -= lr·(g + decay·w)` on `count` floats; same bits as ``sgdUpdate``.
@inline(__always)
func sgdUpdateSIMD(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count: Int,
                   lr: Float, decay: Float) {
    let width = UpdateVector.scalarCount
    let lrV = UpdateVector(repeating: lr), decayV = UpdateVector(repeating: decay)
    var i = 0
    while i + width <= count {
        let wi = load(w + i)
        let grad = load(g + i) + decayV * wi
        vstore(wi - lrV * grad, w + i)
        i += width
    }
    sgdUpdate(w + i, g + i, count: count - i, lr: lr, decay: decay)
}

/// Momentum or Nesterov; same bits as ``momentumUpdate``.
@inline(__always)
func momentumUpdateSIMD(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                        velocity v: UnsafeMutablePointer<Float>, count: Int, lr: Float, mu: Float,
                        decay: Float, nesterov: Bool) {
    let width = UpdateVector.scalarCount
    let lrV = UpdateVector(repeating: lr), muV = UpdateVector(repeating: mu)
    let decayV = UpdateVector(repeating: decay)
    var i = 0
    while i + width <= count {
        let wi = load(w + i)
        let grad = load(g + i) + decayV * wi
        let vel = muV * load(v + i) + grad
        vstore(vel, v + i)
        vstore(nesterov ? wi - lrV * (grad + muV * vel) : wi - lrV * vel, w + i)
        i += width
    }
    momentumUpdate(w + i, g + i, velocity: v + i, count: count - i, lr: lr, mu: mu,
                   decay: decay, nesterov: nesterov)
}

/// Adam; same bits as ``adamUpdate``.
@inline(__always)
func adamUpdateSIMD(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                    m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                    stepSize: Float, invRootCorrection: Float, beta1: Float, beta2: Float,
                    epsilon: Float, decay: Float) {
    let width = UpdateVector.scalarCount
    let b1 = UpdateVector(repeating: beta1), b2 = UpdateVector(repeating: beta2)
    let c1 = UpdateVector(repeating: 1 - beta1), c2 = UpdateVector(repeating: 1 - beta2)
    let stepV = UpdateVector(repeating: stepSize)
    let rootV = UpdateVector(repeating: invRootCorrection)
    let epsV = UpdateVector(repeating: epsilon), decayV = UpdateVector(repeating: decay)
    var i = 0
    while i + width <= count {
        let wi = load(w + i)
        let grad = load(g + i) + decayV * wi
        let mi = b1 * load(m + i) + c1 * grad
        let vi = b2 * load(v + i) + c2 * (grad * grad)
        vstore(mi, m + i)
        vstore(vi, v + i)
        vstore(wi - stepV * (mi / (squareRoot(vi) * rootV + epsV)), w + i)
        i += width
    }
    adamUpdate(w + i, g + i, m: m + i, v: v + i, count: count - i, stepSize: stepSize,
               invRootCorrection: invRootCorrection, beta1: beta1, beta2: beta2,
               epsilon: epsilon, decay: decay)
}
