#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How parameters are updated from their gradients. The formulas are PyTorch's
/// (`torch.optim.SGD` / `Adam`), with `g = ∂loss/∂w` including the L2 term
/// `2·reg·w` for weight matrices (coupled weight decay, as PyTorch's `weight_decay`).
public enum UpdateRule: Sendable, Equatable {
    /// `w -= lr·g`
    case sgd
    /// Classical (heavy-ball) momentum: `v = μ·v + g; w -= lr·v`.
    case momentum(Float)
    /// Nesterov momentum: `v = μ·v + g; w -= lr·(g + μ·v)`.
    case nesterov(Float)
    /// Adam with bias correction: `m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;`
    /// `w -= (lr/(1−β₁ᵗ))·m / (sqrt(v)/sqrt(1−β₂ᵗ) + ε)`.
    case adam(beta1: Float, beta2: Float, epsilon: Float)

    /// Adam with the usual β₁ 0.9, β₂ 0.999, ε 1e-8.
    public static let adamDefaults = UpdateRule.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)

    /// Per-element state buffers the rule needs (velocity; or first and second moments).
    public var stateBuffers: Int {
        switch self {
        case .sgd: return 0
        case .momentum, .nesterov: return 1
        case .adam: return 2
        }
    }
}

/// A parameter tensor and its gradient, viewed as flat buffers of `count` floats.
public struct ParameterTensor: @unchecked Sendable {
    public let value: UnsafeMutablePointer<Float>
    public let gradient: UnsafeMutablePointer<Float>
    public let count: Int
    /// True for weight matrices, which the L2 penalty covers; false for biases and
    /// BatchNorm's γ/β.
    public let isWeight: Bool

    public init(value: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>,
                count: Int, isWeight: Bool) {
        self.value = value
        self.gradient = gradient
        self.count = count
        self.isWeight = isWeight
    }
}

/// Applies an `UpdateRule` to a fixed list of parameter tensors. State buffers are
/// allocated once here; `step` allocates nothing.
///
/// Each tensor is updated in one pass that also adds the L2 gradient `2·reg·w` (for
/// weights), i.e. the gradient buffers hold the data-loss gradient only. The result is
/// bit-identical to first adding `2·reg·w` to the gradient (`addWeightDecay`) and then
/// stepping with `reg = 0` (tested).
public final class Optimizer {
    public let rule: UpdateRule
    public let parameters: [ParameterTensor]
    /// Steps taken so far (Adam's `t`).
    public private(set) var stepCount = 0
    /// One buffer per parameter tensor and state kind, zero-initialised.
    private let state: UnsafeMutablePointer<Float>
    private let stateOffsets: [Int]
    private let stateTotal: Int

    public init(rule: UpdateRule, parameters: [ParameterTensor]) {
        self.rule = rule
        self.parameters = parameters
        var offsets: [Int] = []
        var total = 0
        for p in parameters {
            offsets.append(total)
            total += p.count * rule.stateBuffers
        }
        stateOffsets = offsets
        stateTotal = total
        state = .allocate(capacity: max(total, 1))
        state.initialize(repeating: 0, count: max(total, 1))
    }

    deinit { state.deallocate() }

    /// Resets all state (velocities, moments, step count) to zero.
    public func reset() {
        state.update(repeating: 0, count: max(stateTotal, 1))
        stepCount = 0
    }

    /// One update of every tensor with learning rate `lr` and L2 strength `reg`.
    public func step(learningRate lr: Float, reg: Float) {
        stepCount += 1
        let decay = 2 * reg
        // Adam's bias corrections in Double, rounded once: (1 − β^t) loses all precision
        // in Float when computed by repeated multiplication for small t.
        var adamStep: Float = 0, adamInvRoot: Float = 0
        if case .adam(let b1, let b2, _) = rule {
            let t = Double(stepCount)
            adamStep = Float(Double(lr) / (1 - pow(Double(b1), t)))
            adamInvRoot = Float(1 / (1 - pow(Double(b2), t)).squareRoot())
        }
        for (index, p) in parameters.enumerated() {
            let d: Float = p.isWeight ? decay : 0
            let s = state + stateOffsets[index]
            switch rule {
            case .sgd:
                sgdUpdate(p.value, p.gradient, count: p.count, lr: lr, decay: d)
            case .momentum(let mu):
                momentumUpdate(p.value, p.gradient, velocity: s, count: p.count, lr: lr,
                               mu: mu, decay: d, nesterov: false)
            case .nesterov(let mu):
                momentumUpdate(p.value, p.gradient, velocity: s, count: p.count, lr: lr,
                               mu: mu, decay: d, nesterov: true)
            case .adam(let b1, let b2, let eps):
                adamUpdate(p.value, p.gradient, m: s, v: s + p.count, count: p.count,
                           stepSize: adamStep, invRootCorrection: adamInvRoot,
                           beta1: b1, beta2: b2, epsilon: eps, decay: d)
            }
        }
    }
}

/// Adds the L2 gradient in place: `g += decay·w` (the plain, unfused reference).
///
///     // g, w: [count]
public func addWeightDecay(_ g: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>,
                           count: Int, decay: Float) {
    for i in 0..<count { g[i] = g[i] + decay * w[i] }
}

/// `w -= lr·(g + decay·w)`
///
///     // w, g: [count]
@inline(__always)
func sgdUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count: Int,
               lr: Float, decay: Float) {
    for i in 0..<count {
        let grad = g[i] + decay * w[i]
        w[i] = w[i] - lr * grad
    }
}

/// `v = μ·v + g'; w -= lr·v` (classical) or `w -= lr·(g' + μ·v)` (Nesterov), g' = g + decay·w.
///
///     // w, g, velocity: [count]
@inline(__always)
func momentumUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                    velocity v: UnsafeMutablePointer<Float>, count: Int, lr: Float, mu: Float,
                    decay: Float, nesterov: Bool) {
    if nesterov {
        for i in 0..<count {
            let grad = g[i] + decay * w[i]
            let vel = mu * v[i] + grad
            v[i] = vel
            w[i] = w[i] - lr * (grad + mu * vel)
        }
    } else {
        for i in 0..<count {
            let grad = g[i] + decay * w[i]
            let vel = mu * v[i] + grad
            v[i] = vel
            w[i] = w[i] - lr * vel
        }
    }
}

/// Adam with the bias corrections folded into `stepSize = lr/(1−β₁ᵗ)` and
/// `invRootCorrection = 1/sqrt(1−β₂ᵗ)`, as PyTorch's implementation.
///
///     // w, g, m, v: [count]
@inline(__always)
func adamUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                stepSize: Float, invRootCorrection: Float, beta1: Float, beta2: Float,
                epsilon: Float, decay: Float) {
    let oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2
    for i in 0..<count {
        let grad = g[i] + decay * w[i]
        let mi = beta1 * m[i] + oneMinusB1 * grad
        let vi = beta2 * v[i] + oneMinusB2 * (grad * grad)
        m[i] = mi
        v[i] = vi
        w[i] = w[i] - stepSize * (mi / (vi.squareRoot() * invRootCorrection + epsilon))
    }
}
