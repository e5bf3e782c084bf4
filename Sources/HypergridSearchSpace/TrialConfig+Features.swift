import Foundation

/// How a trial's learning rate moves from iteration to iteration (after any warm-up).
public enum LearningRateSchedule: String, Codable, Sendable, CaseIterable {
    /// Multiplied by `learningRateDecay` after every epoch (the seed's schedule).
    case step
    /// Cosine annealing to 0 over the iterations after the warm-up (Loshchilov & Hutter,
    /// SGDR, without restarts): `lr·(1 + cos(π·k/K))/2` at iteration k of K.
    /// `learningRateDecay` does not apply.
    case cosine
}

extension TrialConfig {
    /// The same trial with the model features in their one canonical spelling: off is nil
    /// (dropout 0, no flip, the step schedule and no warm-up all become nil), so that a grid
    /// or a command line that spells "off" explicitly gets the trial id of one that does not
    /// mention the feature. Front ends and the wire decoder store configs in this form.
    public var canonicalized: TrialConfig {
        var c = self
        if c.dropout == 0 { c.dropout = nil }
        if c.horizontalFlip == false { c.horizontalFlip = nil }
        if c.schedule == .step { c.schedule = nil }
        if c.warmupEpochs == 0 { c.warmupEpochs = nil }
        if c.randomCrop == 0 { c.randomCrop = nil }
        if c.labelSmoothing == 0 { c.labelSmoothing = nil }
        if c.weightDecay == 0 { c.weightDecay = nil }
        if c.shuffle == false { c.shuffle = nil }
        if c.mixup == 0 { c.mixup = nil }
        // Early stopping: patience 0 is off, and takes its tolerance with it (a grid that
        // sweeps `early_stop: [0, 10]` with a tolerance); tolerance 0 is the default.
        if c.earlyStop == 0 { (c.earlyStop, c.earlyStopTolerance) = (nil, nil) }
        if c.earlyStopTolerance == 0 { c.earlyStopTolerance = nil }
        return c
    }

    /// The dropout rate, 0 when off.
    public var dropoutRate: Double { dropout ?? 0 }
    /// MixUp's α, 0 when off (also for a config that spells it 0 without being canonical).
    public var mixupAlpha: Double { mixup ?? 0 }
    /// Whether training images are flipped.
    public var flipsHorizontally: Bool { horizontalFlip ?? false }
    /// The schedule, `.step` when unset.
    public var learningRateSchedule: LearningRateSchedule { schedule ?? .step }

    /// The learning rate of iteration `iteration` (from 0) of `totalIterations`, with
    /// `perEpoch` iterations to an epoch: linear warm-up over the first
    /// `round(warmupEpochs·perEpoch)` iterations (`lr·(k + 1)/W` at iteration k), then the
    /// schedule — the step decay `lr·decay^epoch`, or cosine annealing over the rest.
    ///
    /// The trainer computes the step decay itself by repeated multiplication (the seed's
    /// numerics) and calls this only for warm-up and cosine; see `Trainer.train`.
    public func scheduledLearningRate(iteration: Int, totalIterations: Int, perEpoch: Int,
                                      stepDecayedRate: Double) -> Double {
        let warmup = warmupIterations(perEpoch: perEpoch)
        if iteration < warmup {
            let base = learningRateSchedule == .cosine ? learningRate : stepDecayedRate
            return base * Double(iteration + 1) / Double(warmup)
        }
        switch learningRateSchedule {
        case .step:
            return stepDecayedRate
        case .cosine:
            let span = max(totalIterations - warmup, 1)
            let progress = Double(iteration - warmup) / Double(span)
            return learningRate * 0.5 * (1 + cos(Double.pi * progress))
        }
    }

    /// Warm-up iterations: `round(warmupEpochs·perEpoch)`, 0 without warm-up.
    public func warmupIterations(perEpoch: Int) -> Int {
        guard let w = warmupEpochs, w > 0 else { return 0 }
        return Int((w * Double(perEpoch)).rounded())
    }

    /// The features that are on, e.g. `dropout=0.3 flip cosine warmup=1.0` (the leaderboard's
    /// `features` column); empty when none is.
    public var featureSummary: String {
        var parts: [String] = []
        if let d = dropout, d > 0 { parts.append("dropout=\(d)") }
        if flipsHorizontally { parts.append("flip") }
        if learningRateSchedule == .cosine { parts.append("cosine") }
        if let w = warmupEpochs, w > 0 { parts.append("warmup=\(w)") }
        return parts.joined(separator: " ")
    }
}
