/// Advice on a halving search's first rung when it compares augmented and plain points.
///
/// Random crops and MixUp make the training task harder, so they trail early and win late:
/// on Fashion-MNIST, 1-pixel crops were 1.4 points behind at 30 of 120 epochs and the best
/// network at 150 (docs/halving-repeats-refit.md). A first rung shorter than half the
/// schedule can drop them before they pay off; the search is still valid, so this is a note,
/// not an error.
extension HalvingRungs {
    /// A one-line note when `configs` (the planned trials) differ in `training.random_crop`
    /// or `training.mixup` and the first rung is shorter than half of `maxEpochs`; else nil.
    public func augmentationNote(for configs: [TrialConfig]) -> String? {
        let budgets = self.budgets
        guard budgets.count > 1, let first = budgets.first, 2 * first < maxEpochs else { return nil }
        var swept: [String] = []
        if Set(configs.map(\.randomCrop)).count > 1 { swept.append("random_crop") }
        if Set(configs.map(\.mixup)).count > 1 { swept.append("mixup") }
        guard !swept.isEmpty else { return nil }
        return "note: halving compares points with different \(swept.joined(separator: " and ")) from a first rung of "
            + "\(first) of \(maxEpochs) epochs; such regularisers usually trail early and win late, so consider "
            + "search.min_epochs of \(maxEpochs / 2) or more (docs/halving-repeats-refit.md)"
    }
}
