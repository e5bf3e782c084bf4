// What the leaderboard says about repeats: a 95 % confidence interval of each point's mean
// validation accuracy, and whether the best points can be told apart at all.

extension Leaderboard {
    /// The two-sided 95 % Student t interval of the mean of `values`; nil for fewer than two.
    static func confidenceInterval95(_ values: [Double]) -> ClosedRange<Double>? {
        guard values.count >= 2, let m = mean(values), let s = sampleStd(values) else { return nil }
        let half = studentT975(degreesOfFreedom: values.count - 1) * s / Double(values.count).squareRoot()
        return (m - half)...(m + half)
    }

    /// The 0.975 quantile of Student's t distribution with `df` degrees of freedom: the
    /// standard table to df 30, then the Cornish–Fisher expansion around the normal
    /// quantile (error under 1e-4 from df 30 on).
    static func studentT975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                               2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                               2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423]
        precondition(df >= 1, "Student t needs at least one degree of freedom")
        if df <= table.count { return table[df - 1] }
        let z = 1.959964, n = Double(df)
        let z3 = z * z * z, z5 = z3 * z * z
        return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
    }

    /// Among the rows ranked like the best one (the refit aside, same halving budget), marks
    /// rank 1 and every row whose interval overlaps rank 1's as not separable, the other
    /// rows with an interval as separable.
    static func markSeparability(_ rows: inout [LeaderboardRow]) {
        guard let top = rows.firstIndex(where: { $0.refit == nil }),
              let best = rows[top].validationInterval else { return }
        var overlapsBest = false
        for i in rows.indices where i != top && rows[i].refit == nil && rows[i].budgetEpochs == rows[top].budgetEpochs {
            guard let interval = rows[i].validationInterval else { continue }
            let overlaps = interval.overlaps(best)
            rows[i].separable = !overlaps
            overlapsBest = overlapsBest || overlaps
        }
        rows[top].separable = !overlapsBest
    }
}
