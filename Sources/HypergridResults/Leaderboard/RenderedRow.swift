import HypergridSearchSpace

extension Leaderboard {
    /// A point's row with what ranking it and writing it to the CSV need, made once per
    /// change of the point rather than once per rewrite of `leaderboard.csv`.
    struct RenderedRow {
        /// The row; its rank and separability are set only in ``Leaderboard/ranked``.
        var row: LeaderboardRow
        let rankKey: RankKey
        /// The parts of its CSV line that do not depend on the other rows, once written.
        var line: LineParts?

        init(_ row: LeaderboardRow) {
            self.row = row
            rankKey = RankKey(row)
        }

        /// The CSV line of the ranked ``row``, as `CSV.line(Leaderboard.fields(row))` (plus
        /// the `verified` field when `verified`) would write it.
        func csvLine(verified: Bool) -> String {
            let parts = line ?? LineParts(row)
            var text = "\(row.rank),"
            text.reserveCapacity(parts.beforeSeparable.utf8.count + parts.afterSeparable.utf8.count + 32)
            text += parts.beforeSeparable
            text += ","
            text += CSV.quote(row.separable.map { "\($0)" } ?? "")
            text += ","
            text += parts.afterSeparable
            if verified { text += "," + CSV.quote(row.verification ?? "") }
            text += "\r\n"
            return text
        }
    }

    /// The CSV fields between the rank and `separable`, and after `separable` (without the
    /// optional `verified` column), quoted and joined.
    struct LineParts {
        let beforeSeparable: String
        let afterSeparable: String

        init(_ row: LeaderboardRow) {
            let fields = Leaderboard.fields(row)
            let separable = Leaderboard.separableIndex
            beforeSeparable = Self.join(fields[1..<separable])
            afterSeparable = Self.join(fields[(separable + 1)...])
        }

        static func join(_ fields: ArraySlice<String>) -> String {
            var text = ""
            text.reserveCapacity(fields.reduce(fields.count) { $0 + $1.utf8.count })
            for (i, field) in zip(fields.indices, fields) {
                if i != fields.startIndex { text += "," }
                text += CSV.quote(field)
            }
            return text
        }
    }

    /// What rows are ranked by (``Leaderboard/rows``): the refit first, as the search's
    /// answer; then the points that reached the furthest halving rung (all of them without
    /// halving); then the best score; ties by the smallest trial id.
    struct RankKey {
        let isRefit: Bool
        let budget: Int
        let score: Double?
        let firstTrial: TrialID?

        init(_ row: LeaderboardRow) {
            isRefit = row.refit != nil
            budget = row.budgetEpochs ?? Int.max
            score = row.score
            firstTrial = row.trials.min()
        }

        func isBefore(_ other: RankKey) -> Bool {
            if isRefit != other.isRefit { return isRefit }
            if budget != other.budget { return budget > other.budget }
            switch (score, other.score) {
            case let (x?, y?) where x != y: return x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return firstTrial! < other.firstTrial!
            }
        }
    }

    /// Where `separable` is among a line's fields (``columns``).
    static let separableIndex = columns.firstIndex(of: "separable")!
}
