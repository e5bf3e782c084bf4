// Draws from the symmetric Beta(α, α) distribution, for MixUp's mixing weight (MixUp.swift).
//
// Why our own logarithm and exponential: the weight λ scales every input of a training step,
// so a one-ulp difference in it changes the trained weights. Glibc's `log` and `exp` may
// return different bits between releases and between its FMA and SSE2 variants (chosen per
// CPU at load time), which would break "the same bits on any worker". These two use only
// +, −, ×, ÷ and exact scaling by powers of two, which IEEE 754 rounds the same everywhere
// (Swift does not contract `a * b + c` into an FMA). Their accuracy (≲ 1e-15 relative) is far
// beyond what a random draw needs.

/// ln 2 split so that `n·ln2Hi` is exact for |n| < 2¹¹ (fdlibm's constants).
private let ln2Hi = 6.931_471_803_691_238_164_90e-01
private let ln2Lo = 1.908_214_929_270_587_700_02e-10

/// The natural logarithm of a positive, normal `x` (deterministic; see the file comment).
///
/// x = 2ᵉ·m with m in [√½, √2), and ln m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| ≤ 0.172,
/// summed as its odd series up to s¹⁹ (the next term is below 2⁻⁵⁶ of the sum).
func deterministicLog(_ x: Double) -> Double {
    precondition(x > 0 && x.isNormal, "deterministicLog needs a positive normal number")
    var e = Int(x.exponent)
    var m = x.significand            // [1, 2)
    if m > 1.414_213_562_373_095_1 {
        m = m / 2
        e += 1
    }
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    var series = 1.0 / 19
    var k = 17.0
    while k >= 1 {
        series = series * s2 + 1 / k
        k -= 2
    }
    let logM = 2 * s * series
    let n = Double(e)
    return (n * ln2Hi + logM) + n * ln2Lo
}

/// eˣ (deterministic; see the file comment): 0 below −745.2, +∞ above 709.8.
///
/// x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite: ln2 in two parts), eʳ by its Taylor series
/// up to r¹⁴, then scaled by 2ⁿ exactly.
func deterministicExp(_ x: Double) -> Double {
    if x.isNaN { return x }
    if x < -745.2 { return 0 }
    if x > 709.8 { return .infinity }
    let n = (x * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
    let r = (x - n * ln2Hi) - n * ln2Lo
    var sum = 1.0
    var k = 14.0
    while k >= 1 {
        sum = 1 + sum * r / k
        k -= 1
    }
    // 2ⁿ in two factors, so that n down to −1,075 (subnormal results) and up to 1,024 is exact.
    let half = (n / 2).rounded(.down)
    return sum * Double(sign: .plus, exponent: Int(half), significand: 1)
               * Double(sign: .plus, exponent: Int(n - half), significand: 1)
}

/// The largest α ``betaSymmetric(alpha:_:)`` accepts: Jöhnk's method accepts a pair with
/// probability Γ(α+1)²/Γ(2α+1), 1.4 % at α = 4 (about 70 pairs per draw) and falling fast
/// beyond; MixUp uses α between 0.1 and 2.
public let betaSymmetricMaxAlpha = 4.0

/// A draw from Beta(α, α), α in (0, 4], from `rng`'s uniforms (Jöhnk 1964): for uniform
/// U, V in (0, 1], X = U^(1/α), Y = V^(1/α), accept when X + Y ≤ 1 and return X/(X + Y).
/// The quotient is taken in log space, 1/(1 + e^(ln Y − ln X)), so that small α, whose X
/// and Y can both underflow, still gives the right value.
func betaSymmetric(alpha: Double, _ rng: inout Philox4x32) -> Double {
    precondition(alpha > 0 && alpha <= betaSymmetricMaxAlpha, "Beta(α, α) needs α in (0, 4]")
    while true {
        let logX = deterministicLog(rng.nextOpenClosedDouble()) / alpha
        let logY = deterministicLog(rng.nextOpenClosedDouble()) / alpha
        if deterministicExp(logX) + deterministicExp(logY) <= 1 {
            return 1 / (1 + deterministicExp(logY - logX))
        }
    }
}
