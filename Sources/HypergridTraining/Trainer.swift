import HypergridData
import HypergridKernel
import HypergridSearchSpace

/// What the trainer reports at the end of every epoch (to `Trainer.train`'s `progress`).
public struct EpochReport: Sendable, Equatable {
    /// Epochs completed, counting from 1.
    public var epoch: Int
    /// Iterations completed so far, and in the whole trial.
    public var iteration: Int
    public var totalIterations: Int
    /// The learning rate of this epoch's last iteration (for the step schedule without
    /// warm-up: the epoch's rate, before its decay).
    public var learningRate: Double
    /// The last recorded training loss (data loss + L2), if any was recorded yet.
    public var loss: Float?
    /// Accuracy on this epoch's last minibatch, after its update (as the seed), in
    /// inference mode (BatchNorm with its running statistics), as every accuracy here.
    public var trainAccuracy: Double
    /// Accuracy on the validation split; nil when it has no rows (and for regression).
    public var validationAccuracy: Double?
    /// Regression only: RMSE on the validation split in the targets' units; nil otherwise.
    public var validationRMSE: Double? = nil
}

/// Trains one trial: an `MLP` on a `DatasetSplits` with the hyperparameters of a
/// `TrialConfig`, with the semantics of the seed's numpy trainer
/// (`shared/bench/twolayer_np.py`):
///
/// - an epoch is `max(trainRows / batchSize, 1)` iterations; `.epochs(e)` trains
///   `e` epochs, `.iterations(n)` trains `n` iterations (the last epoch may be partial);
/// - each iteration samples `batchSize` training rows *with replacement* (Philox stream
///   `RandomStreams.minibatch` under `config.seed`), computes the loss
///   (mean softmax cross-entropy + `reg·Σ‖W‖²`) and its gradient, and updates;
/// - the loss is recorded at iterations 0, `lossEvery`, 2·`lossEvery`, …;
/// - after an epoch's last iteration: accuracy on that minibatch and on the validation
///   split are recorded, `progress` is called, and the learning rate is multiplied by
///   `learningRateDecay`;
/// - the model features, when on: dropout after every hidden ReLU and a horizontal flip of
///   half the minibatch's images, both drawn from Philox streams keyed by the seed and the
///   iteration; a linear warm-up and/or cosine schedule of the learning rate
///   (`TrialConfig.scheduledLearningRate`);
/// - the training features of issue 19, when on: a random shift (crop) of every minibatch
///   image after the flip (its own Philox stream, keyed the same way), label smoothing in
///   the cross-entropy (the recorded loss is the smoothed one), decoupled weight decay
///   in the optimizer step (`w -= lr·W·w` on weight matrices), and MixUp of the minibatch
///   after the crop (the recorded loss is the mixed one; the epoch's training accuracy is
///   measured on the unmixed minibatch).
///
/// Everything is deterministic: the same config, seed and data give bit-identical
/// histories and metrics (except the timings) in any process.
public struct Trainer: Sendable {
    /// Rows per chunk when evaluating accuracy; the network's buffers hold
    /// `max(batchSize, evaluationChunk)` rows.
    public var evaluationChunk: Int
    /// How many of the last recorded losses are averaged into `TrialMetrics.finalLoss`
    /// (the single last one is noisy: it is one minibatch's loss).
    public var finalLossWindow: Int
    /// Final training accuracy is measured on at most this many leading training rows.
    public var trainAccuracyRows: Int
    /// Threads one training uses (a ``ThreadTeam`` started per `train` call). A property of
    /// the worker, not of the trial: GEMMs split only rows or columns, elementwise passes
    /// split rows, reductions keep their order, so every thread count gives the same bits
    /// (tested) and the trial id does not depend on it.
    public var threads: Int

    public init(evaluationChunk: Int = 256, finalLossWindow: Int = 10, trainAccuracyRows: Int = 10_000,
                threads: Int = 1) {
        self.evaluationChunk = evaluationChunk
        self.finalLossWindow = finalLossWindow
        self.trainAccuracyRows = trainAccuracyRows
        self.threads = threads
    }

    /// Trains `config` on `data` and reports the outcome; never traps on bad input.
    ///
    /// - Parameters:
    ///   - evaluateTest: also measure accuracy on the test split (only for chosen configs).
    ///   - progress: called after every epoch; return `false` to stop the trial.
    /// - Returns: `.done`; `.diverged` when the loss became NaN or infinite (training
    ///   stops there; the history keeps the finite losses before it; no accuracies);
    ///   `.failed` for an invalid config or data (reason says why) or when `progress`
    ///   cancelled (reason starts with "cancelled"; metrics are those of the last epoch).
    ///   `wallSeconds` is the whole call; `samplesPerSecond` is `iterations × batchSize`
    ///   over the time spent in training iterations only (sampling, gather, forward,
    ///   backward, update and loss recording; not evaluation or setup).
    public func train(config: TrialConfig, data: DatasetSplits, evaluateTest: Bool = false,
                      progress: ((EpochReport) -> Bool)? = nil) -> TrialOutcome {
        trainWithCheckpoints(config: config, data: data, evaluateTest: evaluateTest, progress: progress).outcome
    }

    /// ``train(config:data:evaluateTest:progress:)`` that may continue from a checkpoint
    /// and may end with one (see ``TrainingCheckpoint``).
    ///
    /// - Parameters:
    ///   - resume: the state of an earlier run of the same config (its halving budget
    ///     aside); the outcome is then bit-identical to training from scratch, and
    ///     `metrics.resumedAt` says where it continued. A checkpoint that does not fit
    ///     (another config or data, or past this trial's end) is ignored: the trial trains
    ///     from scratch, with the same result, and `resumeProblem` says why.
    ///   - saveCheckpoint: return the final state of a trial that ended `.done`.
    ///   - afterIteration: called after every iteration with the iterations completed
    ///     (a worker's heartbeats report them, so that a hung training thread is noticed);
    ///     return `false` to stop the trial there, as `progress` can at an epoch's end.
    public func trainWithCheckpoints(config: TrialConfig, data: DatasetSplits, evaluateTest: Bool = false,
                                     resume: TrainingCheckpoint? = nil, saveCheckpoint: Bool = false,
                                     afterIteration: ((Int) -> Bool)? = nil,
                                     progress: ((EpochReport) -> Bool)? = nil)
        -> (outcome: TrialOutcome, checkpoint: TrainingCheckpoint?, resumeProblem: String?) {
        let data = config.refit == .trainValidation ? Self.mergingValidation(into: data) : data
        let clock = ContinuousClock()
        let start = clock.now
        var history = TrialHistory(lossEvery: max(config.lossEvery, 1))
        if let problem = Self.validate(config: config, data: data) {
            return (TrialOutcome(metrics: TrialMetrics(status: .failed, reason: problem), history: history), nil, nil)
        }
        let train = data.train
        // Regression: the readers standardise the targets with the training split's statistics
        // (the schema's `.regression` target), which the network learns; every figure below is
        // mapped back to the targets' own units.
        let regression = Self.isRegression(data)
        let targetCount = regression ? train.targetCount : 0
        let scaling = regression ? TargetScaling(data) : nil
        let standardizedTargets = regression ? train.targets! : []
        let shape = MLPShape(inputWidth: data.featureCount, hidden: config.hidden,
                             classCount: regression ? targetCount : data.classCount, batchNorm: config.batchNorm,
                             loss: regression ? .meanSquaredError : .softmaxCrossEntropy)
        let batch = config.batchSize
        let net = MLP(shape: shape, maxBatch: max(batch, evaluationChunk))
        switch config.initScheme {
        case .gaussian(let std): net.initialize(.gaussian(std: std), seed: config.seed)
        case .he: net.initialize(.he, seed: config.seed)
        }
        let team = threads > 1 ? ThreadTeam(threads: threads) : nil
        net.team = team
        if config.dropoutRate > 0 { net.dropout = DropoutSettings(rate: config.dropoutRate, seed: config.seed) }
        if let smoothing = config.labelSmoothing, smoothing > 0 { net.labelSmoothing = Float(smoothing) }
        let weightDecay = Float(config.weightDecay ?? 0)
        let optimizer = Optimizer(rule: Self.updateRule(config), parameters: net.parameters)
        let sampler = MinibatchSampler(seed: config.seed, batchSize: batch, columns: train.columns,
                                       targetColumns: targetCount)
        if config.shuffle == true { sampler.shuffleEpochs(rows: train.rows) }
        let flipper = config.flipsHorizontally ? data.imageLayout.map {
            HorizontalFlipper(shape: ImageShape(height: $0.height, width: $0.width, channels: $0.channels),
                              seed: config.seed, maxRows: batch)
        } : nil
        let cropper = config.randomCrop.flatMap { padding in data.imageLayout.map {
            RandomCropper(shape: ImageShape(height: $0.height, width: $0.width, channels: $0.channels),
                          padding: padding, seed: config.seed, maxRows: batch)
        } }
        let mixer = regression || config.mixupAlpha == 0 ? nil
            : MixUpMixer(columns: train.columns, alpha: config.mixupAlpha, seed: config.seed, maxRows: batch)
        let perEpoch = max(train.rows / batch, 1)
        let total = config.trainedIterations(trainRows: train.rows)
        // Warm-up and cosine span the trial's whole length, also when a halving rung stops it
        // early: a continued trial then follows the same schedule as one never stopped.
        let scheduleLength = config.length.iterationCount(trainRows: train.rows, batchSize: batch)
        let reg = Float(config.reg)
        // The step schedule's rate, multiplied by the decay after every epoch as the seed does;
        // warm-up and cosine derive each iteration's rate from it (`scheduledLearningRate`),
        // and without them it is used as it is (the same bits as before they existed).
        var learningRate = config.learningRate
        var rateUsed = learningRate
        var completed = 0, epoch = 0
        var status = TrialStatus.done
        var reason: String? = nil
        var trainingTime = Duration.zero
        var lastValidation: Double? = nil
        if regression { history.validationRMSE = [] }
        var resumeProblem = resume.flatMap { $0.mismatch(config: config, data: data) }
        if let checkpoint = resume, resumeProblem == nil, checkpoint.iteration > total {
            resumeProblem = "it is at iteration \(checkpoint.iteration), past this trial's \(total)"
        }
        if let checkpoint = resume, resumeProblem == nil,
           checkpoint.network.count != net.stateCount || checkpoint.optimizerBuffers.count != optimizer.stateTotal
            || checkpoint.optimizerSteps < 0 {
            resumeProblem = "its tensors do not fit this network"
        }
        // Early stopping watches the validation metric the search ranks by; without
        // validation rows (a refit on train+validation) there is nothing to watch and the
        // trial trains its whole length. `bestState` holds the best epoch's weights.
        var earlyStopping = data.validation.rows > 0 ? config.earlyStopping(lowerIsBetter: regression) : nil
        var bestState: [Float]? = nil
        if earlyStopping != nil, resume != nil, resumeProblem == nil {
            // Not reached through the scheduler (halving refuses early stopping); a
            // checkpoint keeps no best weights, so the outcome could not be the same.
            resumeProblem = "early stopping does not continue from checkpoints"
        }
        if let checkpoint = resume, resumeProblem == nil {
            // Sizes checked above, so neither restore can fail and nothing is left half-restored.
            _ = net.restoreState(checkpoint.network)
            _ = optimizer.restoreState(stepCount: checkpoint.optimizerSteps, buffers: checkpoint.optimizerBuffers)
            sampler.position = checkpoint.sampler
            (completed, epoch, learningRate) = (checkpoint.iteration, checkpoint.epoch, checkpoint.learningRate)
            lastValidation = checkpoint.lastValidation
            history = checkpoint.history
        }
        let resumedAt = resume != nil && resumeProblem == nil ? completed : nil
        // Reserved up front so that the iterations themselves never allocate (up to 4M
        // losses; a longer history grows as usual).
        history.loss.reserveCapacity(min(total / history.lossEvery + 1, 1 << 22))
        history.trainAccuracy.reserveCapacity(total / perEpoch + 1)
        history.validationAccuracy.reserveCapacity(total / perEpoch + 1)
        history.validationRMSE?.reserveCapacity(total / perEpoch + 1)
        var lastValidationErrors: RegressionMetrics? = nil

        standardizedTargets.withUnsafeBufferPointer { targets in
        train.labels.withUnsafeBufferPointer { labels in
            var segmentStart = clock.now   // training time excludes evaluation
            for iteration in completed..<total {
                sampler.next(features: train.features.base, labels: labels.baseAddress!, rows: train.rows,
                             step: iteration, team: team)
                flipper?.apply(sampler.features, rows: batch, step: iteration, team: team)
                cropper?.apply(sampler.features, rows: batch, step: iteration, team: team)
                let dataLoss: Double
                if regression {
                    sampler.gatherTargets(from: targets.baseAddress!)
                    dataLoss = net.lossAndGradients(x: sampler.features, targets: sampler.targets, rows: batch,
                                                    step: iteration)
                } else if let mixer {
                    let mixing = mixer.apply(x: sampler.features, labels: sampler.labels, rows: batch,
                                             step: iteration, team: team)
                    dataLoss = net.lossAndGradients(x: mixer.mixed, labels: sampler.labels, rows: batch,
                                                    step: iteration, mixUp: mixing)
                } else {
                    dataLoss = net.lossAndGradients(x: sampler.features, labels: sampler.labels, rows: batch,
                                                    step: iteration)
                }
                if !dataLoss.isFinite {
                    status = .diverged
                    reason = "loss became \(dataLoss) at iteration \(iteration)"
                    break
                }
                if iteration % history.lossEvery == 0 {
                    let loss = Float(dataLoss + net.l2Penalty(reg: config.reg))
                    guard loss.isFinite else {
                        status = .diverged
                        reason = "loss (with the L2 term) became \(loss) at iteration \(iteration)"
                        break
                    }
                    history.loss.append(loss)
                }
                rateUsed = config.scheduledLearningRate(iteration: iteration, totalIterations: scheduleLength,
                                                        perEpoch: perEpoch, stepDecayedRate: learningRate)
                optimizer.step(learningRate: Float(rateUsed), reg: reg, weightDecay: weightDecay, team: team)
                completed = iteration + 1
                if let afterIteration, !afterIteration(completed) {
                    status = .failed
                    reason = "cancelled at iteration \(completed) of \(total)"
                    break
                }
                guard completed % perEpoch == 0 else { continue }

                trainingTime += clock.now - segmentStart
                epoch += 1
                var report: EpochReport
                if let scaling {
                    // Regression has no minibatch accuracy; the validation RMSE is the curve.
                    lastValidationErrors = regressionMetrics(net, data.validation, scaling: scaling)
                    if let v = lastValidationErrors { history.validationRMSE?.append(v.rmse) }
                    report = EpochReport(epoch: epoch, iteration: completed, totalIterations: total,
                                         learningRate: rateUsed, loss: history.loss.last,
                                         trainAccuracy: .nan, validationAccuracy: nil)
                    report.validationRMSE = lastValidationErrors?.rmse
                } else {
                    let trainAccuracy = Double(net.countCorrect(x: sampler.features, labels: sampler.labels,
                                                                rows: batch)) / Double(batch)
                    lastValidation = accuracy(net, data.validation)
                    history.trainAccuracy.append(trainAccuracy)
                    if let v = lastValidation { history.validationAccuracy.append(v) }
                    report = EpochReport(epoch: epoch, iteration: completed, totalIterations: total,
                                         learningRate: rateUsed, loss: history.loss.last,
                                         trainAccuracy: trainAccuracy, validationAccuracy: lastValidation)
                }
                if config.learningRateSchedule == .step { learningRate *= config.learningRateDecay }
                if let progress, !progress(report) {
                    status = .failed
                    reason = "cancelled after epoch \(epoch) (iteration \(completed) of \(total))"
                    break
                }
                if earlyStopping != nil {
                    // The metric of this epoch is deterministic (the same bits on any thread
                    // count), so the stop is too. An epoch without a figure never improves.
                    let metric = (scaling != nil ? lastValidationErrors?.rmse : lastValidation) ?? .nan
                    if earlyStopping!.observe(metric, epoch: epoch) { bestState = net.exportState() }
                    if earlyStopping!.shouldStop { break }
                }
                segmentStart = clock.now
            }
            if status != .failed { trainingTime += clock.now - segmentStart }
        }
        }

        // Early stopping keeps the best epoch's weights: every figure below, the checkpoint and
        // so a kept model come from them. A last partial epoch (`iterations` that are not a
        // whole number of epochs) is judged like an epoch.
        var restoredBest = false
        if status == .done, var rule = earlyStopping, let best = bestState, completed > 0 {
            if completed % perEpoch != 0 {
                let metric = (scaling != nil ? regressionMetrics(net, data.validation, scaling: scaling!)?.rmse
                                             : accuracy(net, data.validation)) ?? .nan
                if !rule.observe(metric, epoch: epoch + 1) { restoredBest = net.restoreState(best) }
            } else if rule.bestEpoch != epoch {
                restoredBest = net.restoreState(best)
            }
        }
        var metrics = TrialMetrics(status: status, iterations: completed, reason: reason)
        metrics.resumedAt = resumedAt
        switch status {
        case .done where scaling != nil:
            // Measured again rather than reused: a checkpoint keeps no regression figures, and
            // the same weights give the same bits.
            metrics.validationRegression = regressionMetrics(net, data.validation, scaling: scaling!)
            metrics.trainRegression = regressionMetrics(net, data.train, scaling: scaling!, limit: trainAccuracyRows)
            if evaluateTest { metrics.testRegression = regressionMetrics(net, data.test, scaling: scaling!) }
            metrics.finalLoss = finalLoss(history.loss)
        case .failed where scaling != nil:
            metrics.validationRegression = lastValidationErrors
            metrics.finalLoss = finalLoss(history.loss)
        case .done:
            // A trial that ends on an epoch boundary has just measured these weights on
            // the validation split: the same bits, so reuse them (one forward pass of the
            // whole split fewer per trial).
            let endedOnEpoch = completed > 0 && completed % perEpoch == 0 && !restoredBest
            metrics.validationAccuracy = endedOnEpoch ? lastValidation : accuracy(net, data.validation)
            metrics.trainAccuracy = accuracy(net, data.train, limit: trainAccuracyRows)
            if evaluateTest { metrics.testAccuracy = accuracy(net, data.test) }
            metrics.finalLoss = finalLoss(history.loss)
        case .failed:   // cancelled: what the last epoch measured
            metrics.validationAccuracy = lastValidation
            metrics.finalLoss = finalLoss(history.loss)
        case .diverged:
            break
        }
        let trainingSeconds = trainingTime / .seconds(1)
        metrics.samplesPerSecond = trainingSeconds > 0 ? Double((completed - (resumedAt ?? 0)) * batch) / trainingSeconds : 0
        metrics.wallSeconds = (clock.now - start) / .seconds(1)
        var checkpoint: TrainingCheckpoint?
        if saveCheckpoint, status == .done {
            let (steps, buffers) = optimizer.exportState()
            checkpoint = TrainingCheckpoint(
                numerics: HypergridVersion.numerics, configKey: TrainingCheckpoint.key(config),
                featureCount: data.featureCount, classCount: data.classCount, trainRows: train.rows,
                iteration: completed, epoch: epoch, learningRate: learningRate, lastValidation: lastValidation,
                history: history, optimizerSteps: steps, optimizerBuffers: buffers,
                network: net.exportState(), sampler: sampler.position)
        }
        return (TrialOutcome(metrics: metrics, history: history), checkpoint, resumeProblem)
    }

    /// The mean of the last `finalLossWindow` recorded losses, or nil if none.
    func finalLoss(_ losses: [Float]) -> Double? {
        guard !losses.isEmpty else { return nil }
        let tail = losses.suffix(max(finalLossWindow, 1))
        return tail.reduce(0.0) { $0 + Double($1) } / Double(tail.count)
    }

    /// Fraction of the first `limit` rows of `split` classified correctly; nil for no rows.
    func accuracy(_ net: MLP, _ split: LabeledMatrix, limit: Int = .max) -> Double? {
        let rows = min(split.rows, limit)
        guard rows > 0 else { return nil }
        let correct = split.labels.withUnsafeBufferPointer {
            net.countCorrect(x: split.features.base, labels: $0.baseAddress!, rows: rows)
        }
        return Double(correct) / Double(rows)
    }

    static func updateRule(_ config: TrialConfig) -> UpdateRule {
        switch config.optimizer {
        case .sgd: return .sgd
        case .momentum: return .momentum(Float(config.momentum))
        case .nesterov: return .nesterov(Float(config.momentum))
        case .adam: return .adamDefaults
        }
    }
}
