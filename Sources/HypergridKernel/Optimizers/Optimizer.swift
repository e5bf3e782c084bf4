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
    public internal(set) var stepCount = 0
    /// One buffer per parameter tensor and state kind, zero-initialised.
    let state: UnsafeMutablePointer<Float>
    private let stateOffsets: [Int]
    /// Floats of optimizer state (momentum, Adam moments) over all tensors.
    public let stateTotal: Int

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
    ///
    /// `weightDecay` W > 0 adds decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight
    /// Decay Regularization", 2019; PyTorch's `AdamW`): each weight matrix is first shrunk,
    /// `w -= (lr·W)·w`, and the rule then steps from the shrunk weights (the L2 term of `reg`,
    /// if any, sees them too). Biases, γ and β are not decayed. It is defined for every rule:
    /// with Adam it is AdamW, with SGD it equals an L2 term of W/2, with momentum it is
    /// Loshchilov & Hutter's SGDW. W = 0 runs the same loops as before it existed.
    ///
    /// With a `team`, large tensors are split into contiguous ranges updated on the
    /// team's threads; every element's update is independent of the others, so the
    /// result is the same bits for any team size.
    public func step(learningRate lr: Float, reg: Float, weightDecay: Float = 0, team: ThreadTeam? = nil) {
        GEMMProfile.timedOptimizer { updateAll(learningRate: lr, reg: reg, weightDecay: weightDecay, team: team) }
    }

    private func updateAll(learningRate lr: Float, reg: Float, weightDecay: Float, team: ThreadTeam?) {
        let (adamStep, adamInvRoot) = advance(learningRate: lr)
        let shrink = lr * weightDecay
        for index in parameters.indices {
            let count = parameters[index].count
            if let team, team.count > 1, count >= 2 * minimumElementsPerThread {
                job.optimizer = self
                (job.index, job.lr, job.reg, job.shrink) = (index, lr, reg, shrink)
                (job.adamStep, job.adamInvRoot) = (adamStep, adamInvRoot)
                team.forEachRange(count, unit: 64, minimum: minimumElementsPerThread, job)
                job.optimizer = nil
            } else {
                update(index, 0..<count, lr: lr, reg: reg, shrink: shrink, adamStep: adamStep,
                       adamInvRoot: adamInvRoot, reference: false)
            }
        }
    }

    /// The team job of `step`: one tensor's update over ranges of its elements.
    private final class UpdateJob: RangeJob {
        unowned(unsafe) var optimizer: Optimizer? = nil
        var index = 0
        var lr: Float = 0, reg: Float = 0, shrink: Float = 0, adamStep: Float = 0, adamInvRoot: Float = 0

        override func run(range: Range<Int>) {
            optimizer!.update(index, range, lr: lr, reg: reg, shrink: shrink, adamStep: adamStep,
                              adamInvRoot: adamInvRoot, reference: false)
        }
    }
    private let job = UpdateJob()

    /// ``step(learningRate:reg:weightDecay:team:)`` through the plain scalar loops: the
    /// specification the vectorised step is tested against.
    func referenceStep(learningRate lr: Float, reg: Float, weightDecay: Float = 0) {
        let (adamStep, adamInvRoot) = advance(learningRate: lr)
        for index in parameters.indices {
            update(index, 0..<parameters[index].count, lr: lr, reg: reg, shrink: lr * weightDecay, adamStep: adamStep,
                   adamInvRoot: adamInvRoot, reference: true)
        }
    }

    /// Counts the step and returns Adam's `lr/(1−β₁ᵗ)` and `1/sqrt(1−β₂ᵗ)` (0 otherwise).
    private func advance(learningRate lr: Float) -> (Float, Float) {
        stepCount += 1
        // Adam's bias corrections in Double, rounded once: (1 − β^t) loses all precision
        // in Float when computed by repeated multiplication for small t.
        guard case .adam(let b1, let b2, _) = rule else { return (0, 0) }
        let t = Double(stepCount)
        return (Float(Double(lr) / (1 - pow(Double(b1), t))),
                Float(1 / (1 - pow(Double(b2), t)).squareRoot()))
    }

    /// Updates elements `range` of parameter tensor `index`; a weight matrix with `shrink`
    /// (lr·W) ≠ 0 is first decayed, in blocks that are then updated while still in cache.
    fileprivate func update(_ index: Int, _ range: Range<Int>, lr: Float, reg: Float, shrink: Float,
                            adamStep: Float, adamInvRoot: Float, reference: Bool) {
        guard shrink != 0, parameters[index].isWeight else {
            applyRule(index, range, lr: lr, reg: reg, adamStep: adamStep, adamInvRoot: adamInvRoot,
                      reference: reference)
            return
        }
        let w = parameters[index].value
        var lo = range.lowerBound
        while lo < range.upperBound {
            // Every element's decay and update are independent of the others': any blocking,
            // like any team split, gives the same bits.
            let hi = min(lo + 4096, range.upperBound)
            if reference { decoupledDecay(w + lo, count: hi - lo, shrink: shrink) }
            else { decoupledDecaySIMD(w + lo, count: hi - lo, shrink: shrink) }
            applyRule(index, lo..<hi, lr: lr, reg: reg, adamStep: adamStep, adamInvRoot: adamInvRoot,
                      reference: reference)
            lo = hi
        }
    }

    /// Applies the rule to elements `range` of parameter tensor `index`.
    @inline(__always)
    private func applyRule(_ index: Int, _ range: Range<Int>, lr: Float, reg: Float,
                           adamStep: Float, adamInvRoot: Float, reference: Bool) {
        let p = parameters[index]
        let d: Float = p.isWeight ? 2 * reg : 0
        let (w, g, n) = (p.value + range.lowerBound, UnsafePointer(p.gradient + range.lowerBound),
                         range.count)
        let s = state + stateOffsets[index]
        switch rule {
        case .sgd:
            if reference { sgdUpdate(w, g, count: n, lr: lr, decay: d) }
            else { sgdUpdateSIMD(w, g, count: n, lr: lr, decay: d) }
        case .momentum(let mu), .nesterov(let mu):
            let nesterov = rule != .momentum(mu)
            let v = s + range.lowerBound
            if reference {
                momentumUpdate(w, g, velocity: v, count: n, lr: lr, mu: mu, decay: d,
                               nesterov: nesterov)
            } else {
                momentumUpdateSIMD(w, g, velocity: v, count: n, lr: lr, mu: mu, decay: d,
                                   nesterov: nesterov)
            }
        case .adam(let b1, let b2, let eps):
            let (m, v) = (s + range.lowerBound, s + p.count + range.lowerBound)
            if reference {
                adamUpdate(w, g, m: m, v: v, count: n, stepSize: adamStep,
                           invRootCorrection: adamInvRoot, beta1: b1, beta2: b2, epsilon: eps,
                           decay: d)
            } else {
                adamUpdateSIMD(w, g, m: m, v: v, count: n, stepSize: adamStep,
                               invRootCorrection: adamInvRoot, beta1: b1, beta2: b2, epsilon: eps,
                               decay: d)
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

/// Decoupled weight decay: `w -= shrink·w` with `shrink = lr·W` (the plain reference).
///
///     // w: [count]
@inline(__always)
func decoupledDecay(_ w: UnsafeMutablePointer<Float>, count: Int, shrink: Float) {
    for i in 0..<count { w[i] = w[i] - shrink * w[i] }
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
