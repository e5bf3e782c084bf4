import Foundation

/// Renders ``BadInputTable`` as the markdown table of `docs/bad-inputs.md`.
enum BadInputDocument {
    static func table(numerics: String, protocolVersion: UInt16) -> [String] {
        var lines = ["| # | bad input | command | what the user sees | exit |", "|---|---|---|---|---|"]
        for (i, row) in BadInputTable.rows.enumerated() {
            let message = row.message.replacingOccurrences(of: "$NUMERICS", with: numerics)
                .replacingOccurrences(of: "$VERSION", with: "\(protocolVersion)")
                .replacingOccurrences(of: "$CACHEFILE", with: "<fingerprint>.hgdata")
            lines.append("| \(i + 1) | \(row.what) | `\(escape(row.command))` | `\(escape(message))` | \(row.status) |")
        }
        return lines
    }

    private static func escape(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }

    /// Replaces the table in the document, or writes the document with it.
    static func write(_ table: [String], to url: URL) throws {
        var lines = (try? String(contentsOf: url, encoding: .utf8))?.components(separatedBy: "\n") ?? []
        if let start = lines.firstIndex(where: { $0.hasPrefix("| ") }) {
            var end = start
            while end < lines.count, lines[end].hasPrefix("| ") || lines[end].hasPrefix("|---") { end += 1 }
            lines.replaceSubrange(start..<end, with: table)
        } else {
            lines += table
        }
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
    }
}
