import Testing
@testable import HypergridKernel

/// The vectorised update (`step`, with and without a thread team) gives the same bits
/// as the plain scalar loops (`referenceStep`), on sizes with and without vector
/// tails and on a tensor large enough to be split over threads.
@Suite struct OptimizerSIMDTests {
    /// Sizes: tails of every length, one vector, and > 2 × the per-thread minimum.
    static let sizes = [1, 7, 17, 64, 1_000, 40_003]

    final class Tensors {
        let tensors: [ParameterTensor]
        private let storage: UnsafeMutablePointer<Float>
        let total: Int
        init(seed: UInt64) {
            total = 2 * OptimizerSIMDTests.sizes.reduce(0, +)
            storage = .allocate(capacity: total)
            // Values, then gradients, of mixed magnitudes (tiny, huge, zeros of both signs).
            var rng = TestRandom(seed: seed)
            for i in 0..<total { storage[i] = rng.mixed() }
            var cursor = storage
            var built: [ParameterTensor] = []
            for (k, n) in OptimizerSIMDTests.sizes.enumerated() {
                built.append(ParameterTensor(value: cursor, gradient: cursor + n, count: n,
                                             isWeight: k % 2 == 0))
                cursor += 2 * n
            }
            tensors = built
        }
        deinit { storage.deallocate() }
        var bits: [UInt32] { (0..<total).map { storage[$0].bitPattern } }
        func newGradients(seed: UInt64) {
            var rng = TestRandom(seed: seed)
            for t in tensors { for i in 0..<t.count { t.gradient[i] = rng.mixed() } }
        }
    }

    @Test(arguments: [UpdateRule.sgd, .momentum(0.9), .nesterov(0.8), .adamDefaults], [1, 2, 3])
    func vectorisedStepMatchesScalarLoops(rule: UpdateRule, threads: Int) {
        let fast = Tensors(seed: 9), plain = Tensors(seed: 9)
        let of = Optimizer(rule: rule, parameters: fast.tensors)
        let op = Optimizer(rule: rule, parameters: plain.tensors)
        let team = ThreadTeam(threads: threads)
        for s in 0..<4 {
            fast.newGradients(seed: 50 + UInt64(s))
            plain.newGradients(seed: 50 + UInt64(s))
            of.step(learningRate: 0.01, reg: 0.003, team: team)
            op.referenceStep(learningRate: 0.01, reg: 0.003)
        }
        #expect(fast.bits == plain.bits)
    }
}
