import HypergridPrimitives
/// Deals the rows of a user's file to the training, validation and test splits: shuffled with
/// the split seed and, for classification, stratified — every class is spread over the
/// splits in proportion to its size.
///
/// Stratification without per-class rounding: each row gets a random rank within its class
/// and the position `(rank + ½) / classSize`; rows are taken in order of that position (ties
/// by a random key), test first, then validation, then training. Any split size then holds
/// each class in proportion, to within a row.
struct SplitPlan {
    /// Row indices of each split, ascending (file order).
    var train: [Int]
    var validation: [Int]
    var test: [Int]

    /// Plans the splits of `rows` rows. `classes` holds each row's class for classification
    /// (`nil` for regression). Sizes: `validationRows` or `validationFraction` (default
    /// 0.2); `testRows` or `testFraction` (default 0; ignored when the test split is another
    /// file); `trainRows` caps training (default: every remaining row).
    static func make(rows: Int, classes: [Int32]?, request: DatasetRequest, source: FileSource,
                     testFromFile: Bool, file: String) throws -> SplitPlan {
        func count(_ rowsGiven: Int?, _ fraction: Double?, _ fallback: Double, _ key: String) throws -> Int {
            if let r = rowsGiven { return r }
            let f = fraction ?? fallback
            guard f >= 0 && f < 1 else {
                throw DatasetError(.invalidParameter, "\(key) \(f) must be a fraction in [0, 1) or a whole number of rows.")
            }
            return Int((f * Double(rows)).rounded())
        }
        let test = testFromFile ? 0 : try count(request.testRows, source.testFraction, 0, "test")
        let validation = try count(request.validationRows, source.validationFraction,
                                   FileSource.defaultValidationFraction, "validation")
        let available = rows - test - validation
        guard available >= 1 else {
            throw DatasetError(.notEnoughRows, "\(file) has \(grouped(rows)) usable row\(rows == 1 ? "" : "s"): not enough for \(grouped(validation)) validation and \(grouped(test)) test rows and at least one training row.")
        }
        if let t = request.trainRows, t > available {
            throw DatasetError(.notEnoughRows, "train_rows \(grouped(t)) is more than the \(grouped(available)) rows of \(file) left for training.")
        }
        let train = request.trainRows ?? available

        var rng = SplitMix64(seed: source.splitSeed ^ 0x7370_6c69_7473_2121) // "splits!!"
        let keys = (0..<rows).map { _ in rng.next() }
        var order = Array(0..<rows)
        if let classes {
            // Random rank within each class, then the class-relative position.
            let byKey = order.sorted { keys[$0] < keys[$1] }
            var seen: [Int32: Int] = [:]
            var rank = [Int](repeating: 0, count: rows)
            for r in byKey { rank[r] = seen[classes[r], default: 0]; seen[classes[r], default: 0] += 1 }
            let position = (0..<rows).map { (Double(rank[$0]) + 0.5) / Double(seen[classes[$0]]!) }
            order.sort { position[$0] != position[$1] ? position[$0] < position[$1] : keys[$0] < keys[$1] }
        } else {
            order.sort { keys[$0] < keys[$1] }
        }
        let testRows = Array(order[0..<test]).sorted()
        let validationRows = Array(order[test..<(test + validation)]).sorted()
        // With fewer training rows than available, keep a stratified prefix of the rest.
        let trainRows = Array(order[(test + validation)..<(test + validation + train)]).sorted()
        return SplitPlan(train: trainRows, validation: validationRows, test: testRows)
    }

    var sizes: SplitSizes { SplitSizes(train: train.count, validation: validation.count, test: test.count) }
}

/// How the labels of a file become classes or regression targets.
struct LabelEncoding {
    /// Classification: each row's class index into `classNames`; regression: `nil`.
    var classes: [Int32]?
    var classNames: [String]
    /// Regression: each row's raw target.
    var targets: [Double]?

    /// Decides the task and encodes `texts` (per distinct label) / `codes` (per row).
    ///
    /// Without a `task`, labels that are all numbers and not all written as integers (`151.0`,
    /// `2.5e3`: floating point) mean regression, anything else classification. Class names
    /// are sorted: by value when every label is a whole number (and then written as integers,
    /// so `1` and `1.0` are one class), else as text (byte order).
    static func make(texts: [String], codes: [Int32], task: FileSource.Task?, labelName: String,
                     file: String, lineOf: (Int) -> Int?) throws -> LabelEncoding {
        let numbers: [Double?] = texts.map { t in
            Array(t.utf8).withUnsafeBufferPointer { CellParsing.number($0) }
        }
        let allNumbers = numbers.allSatisfy { $0 != nil }
        let allWhole = allNumbers && numbers.allSatisfy { $0!.rounded() == $0! && abs($0!) < 1e15 }
        let integerSyntax = texts.allSatisfy { t in
            let digits = t.utf8.drop { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
            return !digits.isEmpty && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        let resolved = task ?? (allNumbers && !integerSyntax ? .regression : .classification)
        if resolved == .regression {
            if let bad = numbers.firstIndex(where: { $0 == nil }) {
                let row = codes.firstIndex(of: Int32(bad))!
                let at = lineOf(row).map { ":\($0)" } ?? ""
                throw DatasetError(.corruptFile, "\(file)\(at): the label '\(labelName)' holds '\(texts[bad].prefix(40))', which is not a number, but the task is regression.")
            }
            return LabelEncoding(classes: nil, classNames: [], targets: codes.map { numbers[Int($0)]! })
        }
        // Classification: canonical names, merged (1 and 1.0 are one class when all are whole).
        let names: [String] = allWhole ? texts.indices.map { String(Int64(numbers[$0]!)) } : texts
        let sorted: [String]
        if allWhole {
            sorted = Array(Set(names)).sorted { Int64($0)! < Int64($1)! }
        } else {
            sorted = Array(Set(names)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        }
        guard sorted.count >= 2 else {
            throw DatasetError(.invalidParameter, "\(file): the label '\(labelName)' has a single class ('\(sorted.first ?? "")') in every row; classification needs at least two.")
        }
        let index = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, Int32($0)) })
        let codeToClass = names.map { index[$0]! }
        return LabelEncoding(classes: codes.map { codeToClass[Int($0)] }, classNames: sorted, targets: nil)
    }
}
