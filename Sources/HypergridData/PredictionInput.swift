import Foundation

/// Rows to predict on, encoded into the features a model takes.
public struct EncodedRows: @unchecked Sendable {
    /// `rows × width`, row-major.
    public let features: FloatStorage
    public let rows: Int
    public let width: Int
}

extension InputSchema {
    /// Reads the rows of `url` (`.csv`, `.npy` or `.npz`) and encodes them with this fitted
    /// schema: a CSV's columns are found by header name (in any order; the label column and
    /// any other column may be there or not), missing numbers become the training mean,
    /// missing text the training's most frequent category, unseen text all zeros. An array
    /// file's values are the features as they are (`arrayName` inside an `.npz`), and must be
    /// as many per row as the model takes.
    public func encodeRows(of url: URL, arrayName: String = "x") throws -> EncodedRows {
        switch url.pathExtension.lowercased() {
        case "csv", "tsv", "txt": return try encodeTable(url)
        case "npy":
            let stream = FileRangeStream(try FileDescriptor(url), name: url.path)
            return try arrayRows(ArrayDataset.readFeatures(stream), name: url.path)
        case "npz":
            let archive = try ZipArchive(url)
            let (member, stream) = try archive.open(arrayName)
            let read = try ArrayDataset.readFeatures(stream)
            try archive.finish(member, stream)
            return try arrayRows(read, name: "\(url.path) (array '\(arrayName)')")
        default:
            throw DatasetError(.invalidParameter, "\(url.path): give a .csv, .npy or .npz file of rows to predict on.")
        }
    }

    private func arrayRows(_ read: (FloatStorage, rows: Int, width: Int, layout: ImageLayout?), name: String) throws -> EncodedRows {
        guard read.width == featureCount else {
            let model = columns == nil ? "values per row" : "encoded features (its CSV columns after one-hot encoding)"
            throw DatasetError(.corruptFile, "\(name) has \(grouped(read.width)) values per row, but the model takes \(grouped(featureCount)) \(model).")
        }
        return EncodedRows(features: read.0, rows: read.rows, width: read.width)
    }

    /// A CSV file through the same tokenizer and cell parsing as training files.
    private func encodeTable(_ url: URL) throws -> EncodedRows {
        let path = url.path
        guard let columns else {
            throw DatasetError(.invalidParameter, "\(path) is a table, but the model was trained on arrays of \(grouped(featureCount)) values per row; give a .npy or .npz file.")
        }
        var csv = try CSVTokenizer(url: url, delimiter: try CSVTokenizer.delimiter(of: url, given: nil))
        defer { csv.close() }
        guard try csv.next() else { throw DatasetError(.corruptFile, "CSV file \(path) is empty: it needs a header row and data rows.") }
        let header = csv.strings().map { $0.trimmingCharacters(in: .whitespaces) }
        let headerLine = csv.line
        var position: [String: Int] = [:]
        for (i, name) in header.enumerated() where position[name] == nil { position[name] = i }
        let sources = try columns.map { column -> Int in
            guard let i = position[column.name] else {
                throw DatasetError(.corruptFile, "\(path):\(headerLine): the model's column '\(column.name)' is not in the header (columns: \(header.prefix(20).joined(separator: ", "))\(header.count > 20 ? ", …" : "")).")
            }
            return i
        }
        var offsets: [Int] = [], at = 0
        var lookup: [[String: Int]] = []
        for column in columns {
            offsets.append(at)
            at += column.featureWidth
            if case .categorical(let vocabulary, _) = column.encoding {
                lookup.append(Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) }))
            } else {
                lookup.append([:])
            }
        }
        let width = featureCount
        let fileSize = (try? FileReading.size(of: url)) ?? 0
        // Every cell ends with a delimiter or a newline: the file's size bounds the rows.
        let values = GrowableFloats(reserve: (fileSize / max(header.count, 1) + 1) * width)
        var rows = 0
        while try csv.next() {
            let line = csv.line
            if csv.fieldCount != header.count {
                throw DatasetError(.corruptFile, "\(path):\(line):\(min(csv.fieldCount, header.count) + 1): the row has \(csv.fieldCount) field\(csv.fieldCount == 1 ? "" : "s") but the header has \(header.count).")
            }
            values.reserveMore(width)
            let out = values.base + values.count
            out.update(repeating: 0, count: width)
            for (j, column) in columns.enumerated() {
                let i = sources[j]
                switch column.encoding {
                case .numeric(let impute):
                    out[offsets[j]] = try csv.withField(i) { cell -> Float in
                        if CellParsing.isMissing(cell) { return impute }
                        guard let v = CellParsing.number(cell) else {
                            throw DatasetError(.corruptFile, "\(path):\(line):\(i + 1): column '\(column.name)' holds '\(String(decoding: cell, as: UTF8.self).prefix(40))', which is not a number, but the model was trained on numbers there.")
                        }
                        return Float(v)
                    }
                case .categorical(_, let imputeCategory):
                    let missing = csv.withField(i) { CellParsing.isMissing($0) }
                    let text = missing ? imputeCategory : csv.string(i).trimmingCharacters(in: .whitespaces)
                    if let k = lookup[j][text] { out[offsets[j] + k] = 1 }
                }
            }
            values.count += width
            rows += 1
        }
        guard rows > 0 else { throw DatasetError(.notEnoughRows, "CSV file \(path) has a header but no data rows.") }
        return EncodedRows(features: values.intoStorage(), rows: rows, width: width)
    }
}
