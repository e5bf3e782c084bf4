import Testing
@testable import HypergridKernel

@Suite struct OptimizerTests {
    /// A weight tensor (10 floats) and a bias tensor (3) in storage the optimizer can
    /// point into; the array-valued properties copy in and out of it.
    final class Params {
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: 26)
        init(seed: UInt64) {
            storage.initialize(repeating: 0, count: 26)
            w = gaussianArray(10, seed: seed).floats
            b = gaussianArray(3, seed: seed + 1).floats
        }
        deinit { storage.deallocate() }
        private func get(_ offset: Int, _ n: Int) -> [Float] { Array(UnsafeBufferPointer(start: storage + offset, count: n)) }
        private func set(_ offset: Int, _ v: [Float]) { (storage + offset).update(from: v, count: v.count) }
        var w: [Float] { get { get(0, 10) } set { set(0, newValue) } }
        var dw: [Float] { get { get(10, 10) } set { set(10, newValue) } }
        var b: [Float] { get { get(20, 3) } set { set(20, newValue) } }
        var db: [Float] { get { get(23, 3) } set { set(23, newValue) } }
        func tensors() -> [ParameterTensor] {
            [ParameterTensor(value: storage, gradient: storage + 10, count: 10, isWeight: true),
             ParameterTensor(value: storage + 20, gradient: storage + 23, count: 3, isWeight: false)]
        }
    }

    /// The rules written out in Double, one element at a time (PyTorch's formulas).
    struct DoubleRule {
        let rule: UpdateRule
        var m: [Double] = [], v: [Double] = [], t = 0
        init(_ rule: UpdateRule, count: Int) {
            self.rule = rule
            m = [Double](repeating: 0, count: count)
            v = m
        }
        mutating func step(_ w: inout [Double], _ g: [Double], lr: Double, decay: Double) {
            t += 1
            for k in w.indices {
                let grad = g[k] + decay * w[k]
                switch rule {
                case .sgd: w[k] -= lr * grad
                case .momentum(let mu):
                    m[k] = Double(mu) * m[k] + grad
                    w[k] -= lr * m[k]
                case .nesterov(let mu):
                    m[k] = Double(mu) * m[k] + grad
                    w[k] -= lr * (grad + Double(mu) * m[k])
                case .adam(let b1, let b2, let eps):
                    let (b1, b2) = (Double(b1), Double(b2))
                    m[k] = b1 * m[k] + (1 - b1) * grad
                    v[k] = b2 * v[k] + (1 - b2) * grad * grad
                    let mHat = m[k] / (1 - pow(b1, Double(t))), vHat = v[k] / (1 - pow(b2, Double(t)))
                    w[k] -= lr * mHat / (vHat.squareRoot() + Double(eps))
                }
            }
        }
        func pow(_ x: Double, _ n: Double) -> Double { (0..<Int(n)).reduce(1.0) { r, _ in r * x } }
    }

    static let rules: [UpdateRule] = [.sgd, .momentum(0.9), .nesterov(0.9), .adamDefaults]

    @Test(arguments: rules)
    func matchesDoubleFormulas(rule: UpdateRule) {
        let p = Params(seed: 1)
        let optimizer = Optimizer(rule: rule, parameters: p.tensors())
        var wRef = p.w.doubles, bRef = p.b.doubles
        var refW = DoubleRule(rule, count: 10), refB = DoubleRule(rule, count: 3)
        let reg = 0.05
        var lr = 0.1
        for s in 0..<6 {
            p.dw = gaussianArray(10, seed: 100 + UInt64(s)).floats
            p.db = gaussianArray(3, seed: 200 + UInt64(s)).floats
            optimizer.step(learningRate: Float(lr), reg: Float(reg))
            refW.step(&wRef, p.dw.doubles, lr: Double(Float(lr)), decay: 2 * reg)
            refB.step(&bRef, p.db.doubles, lr: Double(Float(lr)), decay: 0)   // biases: no L2
            lr *= 0.9
        }
        // Float state and arithmetic over six steps: ≈ 1e-6 relative drift at most.
        for (a, e) in zip(p.w + p.b, wRef + bRef) { #expect(abs(Double(a) - e) < 2e-5 * max(1, abs(e))) }
        #expect(optimizer.stepCount == 6)
    }

    /// Fusing `+ 2·reg·w` into the update gives the same bits as adding it to the gradient first.
    @Test(arguments: rules)
    func fusedWeightDecayMatchesPlain(rule: UpdateRule) {
        let fused = Params(seed: 3), plain = Params(seed: 3)
        let of = Optimizer(rule: rule, parameters: fused.tensors())
        let op = Optimizer(rule: rule, parameters: plain.tensors())
        let reg: Float = 0.02
        for s in 0..<4 {
            fused.dw = gaussianArray(10, seed: 300 + UInt64(s)).floats
            fused.db = gaussianArray(3, seed: 400 + UInt64(s)).floats
            plain.dw = fused.dw
            plain.db = fused.db
            addWeightDecay(plain.storage + 10, plain.w, count: 10, decay: 2 * reg)
            of.step(learningRate: 0.05, reg: reg)
            op.step(learningRate: 0.05, reg: 0)
        }
        #expect(fused.w == plain.w && fused.b == plain.b)
    }

    /// Adam's first steps under a constant gradient move each weight by ≈ lr·sign(g)
    /// (the bias correction exactly undoes the zero start).
    @Test func adamBiasCorrection() {
        let p = Params(seed: 5)
        let optimizer = Optimizer(rule: .adamDefaults, parameters: p.tensors())
        let start = p.w
        p.dw = start.map { $0 >= 0 ? 0.3 : -0.02 }
        optimizer.step(learningRate: 0.01, reg: 0)
        optimizer.step(learningRate: 0.01, reg: 0)
        for (w, (w0, g)) in zip(p.w, zip(start, p.dw)) {
            #expect(abs((w0 - w) - 0.02 * (g > 0 ? 1 : -1)) < 1e-6)
        }
        optimizer.reset()
        #expect(optimizer.stepCount == 0)
    }

    @Test func sgdByHand() {
        let p = Params(seed: 6)
        p.w[0] = 1; p.w[1] = -2; p.dw[0] = 0.5; p.dw[1] = 0.25
        p.b[0] = 1; p.db[0] = 0.5
        Optimizer(rule: .sgd, parameters: p.tensors()).step(learningRate: 0.1, reg: 0.05)
        #expect(abs(p.w[0] - 0.94) < 1e-7 && abs(p.w[1] + 2.005) < 1e-6)   // w − lr·(g + 2·reg·w)
        #expect(abs(p.b[0] - 0.95) < 1e-7)                                 // biases: w − lr·g
    }
}
