/// How many trials a grid file asks for, checked before anything is planned: a typo that
/// turns a grid into 20⁶ points must end in one sentence at once, not in minutes of
/// planning and gigabytes of memory (issue 17 §5).
extension GridSpec {
    /// The default of `--max-trials`.
    public static let defaultMaxTrials = 1_000_000

    /// The trials the search's first stage plans (points kept × repeats); nil when that
    /// does not fit in an `Int`. Halving plans its later rungs from results, each smaller.
    public var firstStageTrialCount: Int? {
        let points: Int?
        switch search.kind {
        case .grid, .halving: points = axes.checkedPointCount
        case .random(let samples): points = axes.checkedPointCount.map { min($0, samples) }
        }
        guard let points else { return nil }
        let (trials, overflow) = points.multipliedReportingOverflow(by: search.repeats)
        return overflow ? nil : trials
    }

    /// Throws one sentence naming `file` and the product when the plan would hold more
    /// than `limit` trials. It only multiplies list lengths, so it answers at once for any
    /// grid file, however large its product.
    public func checkSize(limit: Int, file: String) throws(GridFileError) {
        if let trials = firstStageTrialCount, trials <= limit { return }
        let repeats = search.repeats > 1 ? " × \(search.repeats) repeats" : ""
        let limitText = "the limit is \(groupedDigits(limit))"
        // A random search may sample from any product that has 64-bit point indices.
        if case .random(let samples) = search.kind, axes.checkedPointCount != nil {
            let count = firstStageTrialCount.map(groupedDigits) ?? "more than \(groupedDigits(Int.max))"
            throw GridFileError(file: file, line: nil, key: "search.samples",
                                message: "\(groupedDigits(samples)) samples\(repeats) make \(count) trials; \(limitText): sample fewer, or raise --max-trials")
        }
        let factors = axes.axisSizes.filter { $0.count > 1 }.map { "\(groupedDigits($0.count)) \($0.name)" }
        let points = axes.checkedPointCount.map(groupedDigits) ?? "more than \(groupedDigits(Int.max))"
        var what = "the grid has \(points) points (\(factors.joined(separator: " × ")))"
        if search.repeats > 1 {
            let trials = firstStageTrialCount.map(groupedDigits) ?? "more than \(groupedDigits(Int.max))"
            what += repeats + " = \(trials) trials"
        }
        throw GridFileError(file: file, line: nil, key: "",
                            message: "\(what); \(limitText): use search.kind: random with samples, or --max-trials")
    }
}

/// `64000000` → `64,000,000`. HypergridData has the same helper for its messages, but
/// this target is a leaf of the import graph and may not import it for four lines.
func groupedDigits(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}
