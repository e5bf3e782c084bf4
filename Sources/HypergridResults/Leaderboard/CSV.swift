/// RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled,
/// records end with CRLF. Python's `csv` module reads and writes this dialect by default.
public enum CSV {
    /// One record, with its CRLF terminator.
    public static func line(_ fields: [String]) -> String {
        // One string grown in place: `map(quote).joined` built an array and then grew the
        // result piece by piece, a fifth of rendering a leaderboard row.
        var text = ""
        text.reserveCapacity(fields.reduce(fields.count + 1) { $0 + $1.utf8.count })
        for (i, field) in fields.enumerated() {
            if i > 0 { text += "," }
            text += quote(field)
        }
        text += "\r\n"
        return text
    }

    /// A field, quoted only if it has to be.
    public static func quote(_ field: String) -> String {
        let special = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard special else { return field }
        return "\"" + field.replacingAll("\"", with: "\"\"") + "\""
    }

    /// Parses a whole document into records. Accepts LF as well as CRLF line ends, and a
    /// missing final line end; a quoted field may span lines.
    /// - Throws: ``CSVError`` for a quote inside an unquoted field or an unterminated quote.
    public static func parse(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var fieldWasQuoted = false
        var line = 1
        let bytes = Array(text.utf8)
        var i = 0
        func endField() {
            record.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        while i < bytes.count {
            let byte = bytes[i]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
                i += 1
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                endField()
            case 0x0D where i + 1 < bytes.count && bytes[i + 1] == 0x0A:
                break // the LF that follows ends the record
            case 0x0A:
                endField()
                records.append(record)
                record = []
                line += 1
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else { throw CSVError(line: line, message: "a quote inside an unquoted field") }
                inQuotes = true
                fieldWasQuoted = true
            default:
                if fieldWasQuoted { throw CSVError(line: line, message: "text after a closing quote") }
                field.append(byte)
            }
            i += 1
        }
        if inQuotes { throw CSVError(line: line, message: "a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty || fieldWasQuoted {
            endField()
            records.append(record)
        }
        return records
    }
}

/// A malformed CSV document.
public struct CSVError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "CSV line \(line): \(message)" }
}

extension String {
    /// `replacingOccurrences(of:with:)` without Foundation.
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
