import Foundation

/// Whether a table column holds numbers or text (categories).
enum ColumnKind: Sendable, Equatable {
    case numeric
    case text
}

/// A CSV file read in one streaming pass, before any split or encoding: numbers as float32,
/// text cells as codes into per-column category lists, missing cells as NaN, one label code
/// per row. Rows with a missing cell are already gone under `missing: drop`.
final class RawTable {
    let url: URL
    /// The feature columns' header names, in feature order.
    let columnNames: [String]
    /// Their 1-based positions in the file, for messages.
    let fileColumns: [Int]
    let kinds: [ColumnKind]
    /// Per feature column: category code → text (empty for numeric columns).
    let categories: [[String]]
    /// `rows × columnNames.count`, row-major: the number, the category code, or NaN.
    let values: GrowableFloats
    let rows: Int
    let labelName: String
    /// Label code → the label cell's text.
    let labelTexts: [String]
    /// One label code per row.
    let labelCodes: [Int32]
    /// The 1-based line each row starts on.
    let lines: [Int32]
    /// Missing feature cells kept (to be imputed).
    let missingCells: Int
    /// Rows dropped for a missing feature cell (`missing: drop`) or a missing label.
    let droppedRows: Int
    let unlabeledRows: Int
    /// Lines for the log: columns that mixed numbers and text, and so became categories.
    let notes: [String]

    init(url: URL, columnNames: [String], fileColumns: [Int], kinds: [ColumnKind], categories: [[String]],
         values: GrowableFloats, rows: Int, labelName: String, labelTexts: [String], labelCodes: [Int32],
         lines: [Int32], missingCells: Int, droppedRows: Int, unlabeledRows: Int, notes: [String]) {
        self.url = url
        self.columnNames = columnNames
        self.fileColumns = fileColumns
        self.kinds = kinds
        self.categories = categories
        self.values = values
        self.rows = rows
        self.labelName = labelName
        self.labelTexts = labelTexts
        self.labelCodes = labelCodes
        self.lines = lines
        self.missingCells = missingCells
        self.droppedRows = droppedRows
        self.unlabeledRows = unlabeledRows
        self.notes = notes
    }

    var width: Int { columnNames.count }
}

/// Reads a CSV file into a ``RawTable``.
enum CSVTableReader {
    /// Reads `url` with the options' delimiter, columns and missing-value policy.
    ///
    /// Column kinds are found while reading: a column whose first non-missing cell is a number
    /// is numeric. If a later cell of a numeric column is not a number, then under
    /// `missing: error` that is an error naming its line and column; otherwise the column
    /// holds categories, and the file is read once more with that known (a second pass only
    /// for such files). `fixedKinds` (by column name) is for a test file, which must be read
    /// with the training file's kinds: there, text in a numeric column counts as missing.
    static func read(_ url: URL, options: FileSource, fixedKinds: [String: ColumnKind]? = nil) throws -> RawTable {
        var forcedText = Set<Int>()
        var notes: [String] = []
        while true {
            if let table = try readPass(url, options: options, fixedKinds: fixedKinds,
                                        forcedText: &forcedText, notes: &notes) {
                return table
            }
        }
    }

    /// One pass; `nil` when a numeric column turned out to hold text (it is then added to
    /// `forcedText` and the caller reads again).
    private static func readPass(_ url: URL, options: FileSource, fixedKinds: [String: ColumnKind]?,
                                 forcedText: inout Set<Int>, notes: inout [String]) throws -> RawTable? {
        let path = url.path
        let delimiter = try CSVTokenizer.delimiter(of: url, given: options.delimiter)
        var csv = try CSVTokenizer(url: url, delimiter: delimiter)
        defer { csv.close() }
        guard try csv.next() else {
            throw DatasetError(.corruptFile, "CSV file \(path) is empty: it needs a header row and data rows.")
        }
        let header = csv.strings().map { $0.trimmingCharacters(in: .whitespaces) }
        let headerLine = csv.line
        var position: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if position[name] != nil {
                throw DatasetError(.corruptFile, "\(path):\(headerLine):\(i + 1): the header names column '\(name)' twice.")
            }
            position[name] = i
        }
        func column(_ name: String, _ role: String) throws -> Int {
            guard let i = position[name] else {
                throw DatasetError(.invalidParameter, "\(path):\(headerLine): the \(role) column '\(name)' is not in the header (columns: \(header.prefix(20).joined(separator: ", "))\(header.count > 20 ? ", …" : "")).")
            }
            return i
        }
        guard let labelName = options.label else {
            throw DatasetError(.invalidParameter, "dataset.label is missing: name the CSV column to predict (\(path) has columns \(header.prefix(20).joined(separator: ", "))).")
        }
        let labelIndex = try column(labelName, "label")
        let excluded = Set(try options.exclude.map { try column($0, "excluded") })
        var featureIndices: [Int]
        if let names = options.features {
            featureIndices = try names.map { try column($0, "feature") }
            if featureIndices.contains(labelIndex) {
                throw DatasetError(.invalidParameter, "dataset.features lists the label column '\(labelName)' of \(path); a model cannot take its own answer as input.")
            }
        } else {
            featureIndices = header.indices.filter { $0 != labelIndex && !excluded.contains($0) }
        }
        guard !featureIndices.isEmpty else {
            throw DatasetError(.invalidParameter, "\(path) has no feature columns left once the label '\(labelName)' and the excluded columns are set aside.")
        }
        let width = featureIndices.count
        // For each file column, its feature slot (or -1).
        var slotOf = [Int](repeating: -1, count: header.count)
        for (slot, i) in featureIndices.enumerated() { slotOf[i] = slot }
        var kinds = [ColumnKind?](repeating: nil, count: width)
        for (slot, i) in featureIndices.enumerated() {
            if let fixed = fixedKinds?[header[i]] { kinds[slot] = fixed }
            if forcedText.contains(i) { kinds[slot] = .text }
        }
        var categoryCodes = [[String: Int32]](repeating: [:], count: width)
        var categories = [[String]](repeating: [], count: width)
        var labelCodesByText: [String: Int32] = [:]
        var labelTexts: [String] = []
        var labelCodes: [Int32] = []
        var lines: [Int32] = []
        let fileSize = (try? FileReading.size(of: url)) ?? 0
        // Every cell ends with a delimiter or a newline, so the file's size in bytes bounds the
        // number of cells: reserve that much address space (see GrowableFloats).
        let values = GrowableFloats(reserve: fileSize + width)
        var rows = 0, missingCells = 0, droppedRows = 0, unlabeled = 0
        let policy = options.missing
        let fieldsPerRow = header.count

        while try csv.next() {
            let line = csv.line
            if csv.fieldCount != fieldsPerRow {
                let col = min(csv.fieldCount, fieldsPerRow) + 1
                throw DatasetError(.corruptFile, "\(path):\(line):\(col): the row has \(csv.fieldCount) field\(csv.fieldCount == 1 ? "" : "s") but the header has \(fieldsPerRow).")
            }
            // The label first: a row without one is dropped (or an error) before any feature is stored.
            let labelMissing = csv.withField(labelIndex) { CellParsing.isMissing($0) }
            if labelMissing {
                if policy == .error {
                    throw DatasetError(.corruptFile, "\(path):\(line):\(labelIndex + 1): the label '\(labelName)' is missing (missing: error).")
                }
                unlabeled += 1
                continue
            }
            let labelText = csv.string(labelIndex).trimmingCharacters(in: .whitespaces)
            values.reserveMore(width)
            let out = values.base + values.count
            var rowMissing = 0
            for slot in 0..<width {
                let i = featureIndices[slot]
                let stored: Float? = try csv.withField(i) { cell -> Float? in
                    if CellParsing.isMissing(cell) { return nil }
                    switch kinds[slot] {
                    case .numeric?:
                        if let v = CellParsing.number(cell) { return Float(v) }
                        let text = String(decoding: cell, as: UTF8.self)
                        if policy == .error {
                            throw DatasetError(.corruptFile, "\(path):\(line):\(i + 1): column '\(header[i])' holds '\(text.prefix(40))', which is not a number (missing: error; numbers were seen above this line).")
                        }
                        if fixedKinds != nil { return nil } // a test file: taken as missing
                        forcedText.insert(i)
                        notes.append("Column '\(header[i])' of \(path) mixes numbers and text ('\(text.prefix(40))' on line \(line)); its values are encoded as categories.")
                        return .nan // abandoned below
                    case .text?:
                        return Float(code(cell, &categoryCodes[slot], &categories[slot]))
                    case nil:
                        if let v = CellParsing.number(cell) { kinds[slot] = .numeric; return Float(v) }
                        kinds[slot] = .text
                        return Float(code(cell, &categoryCodes[slot], &categories[slot]))
                    }
                }
                if forcedText.contains(i) && kinds[slot] == .numeric { return nil }
                if let stored { out[slot] = stored } else {
                    if policy == .error {
                        throw DatasetError(.corruptFile, "\(path):\(line):\(i + 1): column '\(header[i])' is missing a value (missing: error).")
                    }
                    out[slot] = .nan
                    rowMissing += 1
                }
            }
            if rowMissing > 0 && policy == .drop { droppedRows += 1; continue }
            missingCells += rowMissing
            values.count += width
            rows += 1
            if let c = labelCodesByText[labelText] { labelCodes.append(c) } else {
                let c = Int32(labelTexts.count)
                labelCodesByText[labelText] = c
                labelTexts.append(labelText)
                labelCodes.append(c)
            }
            lines.append(Int32(clamping: line))
        }
        if rows == 0 {
            if unlabeled + droppedRows > 0 {
                throw DatasetError(.notEnoughRows, "CSV file \(path) has no usable rows: \(unlabeled) lack a label and \(droppedRows) were dropped for a missing value (missing: drop).")
            }
            throw DatasetError(.notEnoughRows, "CSV file \(path) has a header but no data rows.")
        }
        return RawTable(url: url, columnNames: featureIndices.map { header[$0] },
                        fileColumns: featureIndices.map { $0 + 1 },
                        kinds: kinds.map { $0 ?? .numeric }, categories: categories, values: values,
                        rows: rows, labelName: labelName, labelTexts: labelTexts, labelCodes: labelCodes,
                        lines: lines, missingCells: missingCells, droppedRows: droppedRows,
                        unlabeledRows: unlabeled, notes: notes)
    }

    @inline(__always)
    private static func code(_ cell: UnsafeBufferPointer<UInt8>, _ codes: inout [String: Int32],
                             _ names: inout [String]) -> Int32 {
        let text = String(decoding: cell, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if let c = codes[text] { return c }
        let c = Int32(names.count)
        codes[text] = c
        names.append(text)
        return c
    }
}
