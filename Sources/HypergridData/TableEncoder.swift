import Foundation

/// Turns a ``RawTable`` into the three splits: splits the rows, fits the ``InputSchema`` on
/// the training split (means and most frequent categories to impute, sorted vocabularies for
/// one-hot columns) and encodes every split with it.
enum TableEncoder {
    static func encode(_ table: RawTable, test testTable: RawTable?, request: DatasetRequest,
                       source: FileSource, log: ((String) -> Void)?) throws -> DatasetSplits {
        let file = table.url.path
        for note in table.notes { log?(note) }
        let labels = try LabelEncoding.make(texts: table.labelTexts, codes: table.labelCodes, task: source.task,
                                            labelName: table.labelName, file: file,
                                            lineOf: { Int(table.lines[$0]) })
        let plan = try SplitPlan.make(rows: table.rows, classes: labels.classes, request: request, source: source,
                                      testFromFile: testTable != nil, file: file)
        if let classes = labels.classes {
            try requireTrainingClasses(plan: plan, classes: classes, names: labels.classNames, file: file,
                                       lineOf: { Int(table.lines[$0]) })
        }
        let columns = fitColumns(table, trainRows: plan.train, log: log)
        let target: InputSchema.Target
        var targetMean = 0.0, targetDeviation = 1.0
        if let targets = labels.targets {
            (targetMean, targetDeviation) = meanAndDeviation(plan.train.map { targets[$0] })
            target = .regression(names: [table.labelName], mean: [targetMean], deviation: [targetDeviation])
        } else {
            target = .classes(names: labels.classNames)
        }
        let schema = InputSchema(columns: columns, labelColumns: [table.labelName], target: target)

        var counts = EncodeCounts()
        let allNumeric = table.kinds.allSatisfy { $0 == .numeric }
        let features: (train: FloatStorage, validation: FloatStorage, test: FloatStorage)
        if allNumeric && testTable == nil {
            features = encodeNumericInPlace(table, columns: columns, plan: plan, counts: &counts)
        } else {
            let enc = Encoder(table: table, columns: columns, width: schema.featureCount)
            features = (enc.encode(plan.train, counts: &counts),
                        enc.encode(plan.validation, counts: &counts),
                        enc.encode(plan.test, counts: &counts))
        }
        func matrix(_ rows: [Int], _ storage: FloatStorage) -> LabeledMatrix {
            var m = LabeledMatrix(rows: rows.count, columns: schema.featureCount, features: storage,
                                  labels: labels.classes.map { c in rows.map { c[$0] } }
                                    ?? [Int32](repeating: 0, count: rows.count))
            if let t = labels.targets {
                m.targets = rows.map { Float((t[$0] - targetMean) / targetDeviation) }
                m.targetCount = 1
            }
            return m
        }
        let train = matrix(plan.train, features.train)
        let validation = matrix(plan.validation, features.validation)
        var test = matrix(plan.test, features.test)
        if let testTable {
            test = try encodeTestFile(testTable, table: table, columns: columns, schema: schema, labels: labels,
                                      targetMean: targetMean, targetDeviation: targetDeviation, counts: &counts)
        }
        let classCount = labels.classes == nil ? 1 : labels.classNames.count
        var splits = DatasetSplits(name: table.url.lastPathComponent, classCount: classCount, train: train,
                                   validation: validation, test: test)
        splits.schema = schema
        let line = { (r: Int) in Int(table.lines[r]) }
        splits.splitRows = SplitRows(unit: .line, train: plan.train.map(line), validation: plan.validation.map(line),
                                     test: testTable == nil ? plan.test.map(line) : [])
        let categorical = table.kinds.filter { $0 == .text }.count
        var notes: [String] = []
        if counts.imputed > 0 { notes.append("imputed \(grouped(counts.imputed)) missing cell\(counts.imputed == 1 ? "" : "s")") }
        if table.droppedRows > 0 { notes.append("dropped \(grouped(table.droppedRows)) row\(table.droppedRows == 1 ? "" : "s") with a missing cell") }
        if table.unlabeledRows > 0 { notes.append("dropped \(grouped(table.unlabeledRows)) row\(table.unlabeledRows == 1 ? "" : "s") without a label") }
        if counts.unseen > 0 { notes.append("\(grouped(counts.unseen)) cell\(counts.unseen == 1 ? "" : "s") with a category unseen in training (encoded as all zeros)") }
        let task = labels.classes == nil ? "regression on '\(table.labelName)'" : "\(labels.classNames.count) classes of '\(table.labelName)'"
        splits.summary = "\(table.url.lastPathComponent): \(grouped(table.rows)) rows, \(table.width) columns (\(categorical) categorical) → \(schema.featureCount) features, \(task)"
            + (notes.isEmpty ? "; no missing values" : "; " + notes.joined(separator: ", "))
        log?("Dataset \(splits.summary!).")
        return splits
    }

    struct EncodeCounts {
        var imputed = 0
        var unseen = 0
    }

    /// Names the first row of a validation or test class that training lacks.
    static func requireTrainingClasses(plan: SplitPlan, classes: [Int32], names: [String], file: String,
                                       lineOf: (Int) -> Int?) throws {
        var inTraining = Set<Int32>()
        for r in plan.train { inTraining.insert(classes[r]) }
        for (split, rows) in [("validation", plan.validation), ("test", plan.test)] {
            if let r = rows.first(where: { !inTraining.contains(classes[$0]) }) {
                let total = classes.filter { $0 == classes[r] }.count
                let at = lineOf(r).map { ":\($0)" } ?? " row \(r + 1)"
                throw DatasetError(.notEnoughRows, "\(file)\(at): class '\(names[Int(classes[r])])' is in the \(split) split but not in training (it has \(total) row\(total == 1 ? "" : "s")); add rows of it, or drop it from the file.")
            }
        }
    }

    /// Population mean and deviation (a deviation of 0 becomes 1).
    static func meanAndDeviation(_ values: [Double]) -> (Double, Double) {
        let mean = values.reduce(0, +) / Double(max(values.count, 1))
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count, 1))
        let deviation = variance.squareRoot()
        return (mean, deviation > 0 ? deviation : 1)
    }

    /// The schema's columns fitted on the training rows.
    static func fitColumns(_ table: RawTable, trainRows: [Int], log: ((String) -> Void)?) -> [InputSchema.Column] {
        let w = table.width
        let base = table.values.base
        return (0..<w).map { j in
            let name = table.columnNames[j]
            switch table.kinds[j] {
            case .numeric:
                var sum = 0.0, n = 0
                for r in trainRows {
                    let v = base[r * w + j]
                    if !v.isNaN { sum += Double(v); n += 1 }
                }
                if n == 0 { log?("Column '\(name)' has no value in the training split; its missing cells become 0.") }
                return InputSchema.Column(name: name, encoding: .numeric(imputeValue: n > 0 ? Float(sum / Double(n)) : 0))
            case .text:
                var counts = [Int](repeating: 0, count: table.categories[j].count)
                for r in trainRows {
                    let v = base[r * w + j]
                    if !v.isNaN { counts[Int(v)] += 1 }
                }
                let names = table.categories[j]
                let vocabulary = counts.indices.filter { counts[$0] > 0 }.map { names[$0] }
                    .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                // The most frequent; ties go to the first in sorted order.
                var impute = vocabulary.first ?? ""
                var best = 0
                for v in vocabulary {
                    let c = counts[names.firstIndex(of: v)!]
                    if c > best { best = c; impute = v }
                }
                if vocabulary.isEmpty { log?("Column '\(name)' has no value in the training split; it adds no features.") }
                return InputSchema.Column(name: name, encoding: .categorical(vocabulary: vocabulary, imputeCategory: impute))
            }
        }
    }

    /// All-numeric tables: imputes in place and reorders the rows in place (train, then
    /// validation, then test, then unused rows), so the table's memory becomes the splits'
    /// and no second copy of the matrix is made.
    static func encodeNumericInPlace(_ table: RawTable, columns: [InputSchema.Column], plan: SplitPlan,
                                     counts: inout EncodeCounts) -> (train: FloatStorage, validation: FloatStorage, test: FloatStorage) {
        let w = table.width, n = table.rows
        let base = table.values.base
        let means: [Float] = columns.map { if case .numeric(let m) = $0.encoding { return m } else { return 0 } }
        if table.missingCells > 0 {
            for i in 0..<(n * w) where base[i].isNaN {
                base[i] = means[i % w]
                counts.imputed += 1
            }
        }
        return RowArrangement.arrange(table.values.intoStorage(), width: w, rows: n, plan: plan)
    }

    /// Encodes rows of a table (numbers, imputed cells, one-hot categories) into new storage.
    struct Encoder {
        let table: RawTable
        /// Per column: its first feature, and for text its category code → vocabulary index (-1 unseen).
        let offsets: [Int]
        let vocabularyIndex: [[Int]]
        let impute: [Float]
        let imputeIndex: [Int]
        let width: Int

        init(table: RawTable, columns: [InputSchema.Column], width: Int) {
            self.table = table
            self.width = width
            var offsets: [Int] = [], at = 0
            var vocabularyIndex: [[Int]] = [], impute: [Float] = [], imputeIndex: [Int] = []
            for (j, column) in columns.enumerated() {
                offsets.append(at)
                at += column.featureWidth
                switch column.encoding {
                case .numeric(let m):
                    vocabularyIndex.append([]); impute.append(m); imputeIndex.append(-1)
                case .categorical(let vocabulary, let category):
                    let position = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
                    vocabularyIndex.append(table.categories[j].map { position[$0] ?? -1 })
                    impute.append(0); imputeIndex.append(position[category] ?? -1)
                }
            }
            self.offsets = offsets
            self.vocabularyIndex = vocabularyIndex
            self.impute = impute
            self.imputeIndex = imputeIndex
        }

        func encode(_ rows: [Int], counts: inout EncodeCounts) -> FloatStorage {
            let storage = FloatStorage(zeroedCount: rows.count * width)
            let w = table.width
            let src = table.values.base
            for (k, r) in rows.enumerated() {
                let out = storage.base + k * width
                for j in 0..<w {
                    let v = src[r * w + j]
                    if table.kinds[j] == .numeric {
                        if v.isNaN { out[offsets[j]] = impute[j]; counts.imputed += 1 } else { out[offsets[j]] = v }
                    } else if v.isNaN {
                        counts.imputed += 1
                        if imputeIndex[j] >= 0 { out[offsets[j] + imputeIndex[j]] = 1 }
                    } else {
                        let index = vocabularyIndex[j][Int(v)]
                        if index >= 0 { out[offsets[j] + index] = 1 } else { counts.unseen += 1 }
                    }
                }
            }
            return storage
        }
    }

    /// The test split from a second file, encoded with the training file's schema.
    static func encodeTestFile(_ testTable: RawTable, table: RawTable, columns: [InputSchema.Column],
                               schema: InputSchema, labels: LabelEncoding, targetMean: Double,
                               targetDeviation: Double, counts: inout EncodeCounts) throws -> LabeledMatrix {
        let file = testTable.url.path
        guard testTable.columnNames == table.columnNames else {
            throw DatasetError(.corruptFile, "\(file): the test file's feature columns (\(testTable.columnNames.joined(separator: ", "))) differ from the training file's (\(table.columnNames.joined(separator: ", "))).")
        }
        let encoder = Encoder(table: testTable, columns: columns, width: schema.featureCount)
        let rows = Array(0..<testTable.rows)
        let storage = encoder.encode(rows, counts: &counts)
        var matrix: LabeledMatrix
        if labels.classes != nil {
            let index = Dictionary(uniqueKeysWithValues: labels.classNames.enumerated().map { ($1, Int32($0)) })
            let numeric = Int64(labels.classNames[0]) != nil && labels.classNames.allSatisfy { Int64($0) != nil }
            var codeToClass: [Int32] = []
            for (code, text) in testTable.labelTexts.enumerated() {
                var name = text
                if numeric, let v = Array(text.utf8).withUnsafeBufferPointer({ CellParsing.number($0) }),
                   v.rounded() == v, abs(v) < 1e15 { name = String(Int64(v)) }
                guard let c = index[name] else {
                    let row = testTable.labelCodes.firstIndex(of: Int32(code))!
                    throw DatasetError(.notEnoughRows, "\(file):\(testTable.lines[row]): class '\(text)' of the test file is not among the training classes (\(labels.classNames.prefix(10).joined(separator: ", "))).")
                }
                codeToClass.append(c)
            }
            matrix = LabeledMatrix(rows: rows.count, columns: schema.featureCount, features: storage,
                                   labels: testTable.labelCodes.map { codeToClass[Int($0)] })
        } else {
            let testLabels = try LabelEncoding.make(texts: testTable.labelTexts, codes: testTable.labelCodes,
                                                    task: .regression, labelName: testTable.labelName, file: file,
                                                    lineOf: { Int(testTable.lines[$0]) })
            matrix = LabeledMatrix(rows: rows.count, columns: schema.featureCount, features: storage,
                                   labels: [Int32](repeating: 0, count: rows.count))
            matrix.targets = testLabels.targets!.map { Float(($0 - targetMean) / targetDeviation) }
            matrix.targetCount = 1
        }
        return matrix
    }
}
