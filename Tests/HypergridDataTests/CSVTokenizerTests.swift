import Foundation
import HypergridPrimitives
import Testing
@testable import HypergridData

/// The byte-level CSV tokenizer on RFC 4180's corner cases, with read buffers from 1 byte up
/// so that every record and field also straddles a refill.
@Suite struct CSVTokenizerTests {
    func records(_ text: String, delimiter: Character = ",", bufferSize: Int) throws -> [(line: Int, fields: [String])] {
        let dir = TempDir()
        let url = dir.file("t.csv")
        try Data(text.utf8).write(to: url)
        var csv = try CSVTokenizer(url: url, delimiter: delimiter.asciiValue!, bufferSize: bufferSize)
        defer { csv.close() }
        var out: [(Int, [String])] = []
        while try csv.next() { out.append((csv.line, csv.strings())) }
        return out
    }

    @Test(arguments: [1, 2, 3, 5, 8, 64, 1 << 20])
    func rfc4180CornerCases(bufferSize: Int) throws {
        let text = "\u{FEFF}name,note,n\r\n"                       // BOM, CRLF
            + "\"Smith, J\",\"said \"\"hi\"\"\",1\r\n"              // delimiter and doubled quotes inside quotes
            + "plain,\"two\nlines\",2\n"                            // LF inside quotes, LF ending
            + "\n"                                                  // blank line, skipped
            + "\"\",,3\n"                                           // empty quoted and unquoted fields
            + "a\"b,\"x\r\ny\",4\r\n"                               // quote inside an unquoted field; CRLF inside quotes
            + "last,,"                                              // no final newline, trailing empty field
        let r = try records(text, bufferSize: bufferSize)
        #expect(r.map(\.fields) == [
            ["name", "note", "n"],
            ["Smith, J", "said \"hi\"", "1"],
            ["plain", "two\nlines", "2"],
            ["", "", "3"],
            ["a\"b", "x\r\ny", "4"],
            ["last", "", ""],
        ])
        // Lines are the physical lines records start on (1-based), past embedded newlines.
        #expect(r.map(\.line) == [1, 2, 3, 6, 7, 9])
    }

    @Test func otherDelimitersAndDetection() throws {
        let dir = TempDir()
        for (delimiter, name) in [(";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")] {
            let url = dir.file("\(name).csv")
            try Data("a\(delimiter)\"b\(delimiter)c\"\(delimiter)y\n1\(delimiter)2\(delimiter)3\n".utf8).write(to: url)
            let detected = try CSVTokenizer.delimiter(of: url, given: nil)
            #expect(detected == Character(delimiter).asciiValue!, "\(name)")
            var csv = try CSVTokenizer(url: url, delimiter: detected)
            defer { csv.close() }
            #expect(try csv.next() && csv.strings() == ["a", "b\(delimiter)c", "y"])
        }
        #expect(try CSVTokenizer.delimiter(of: dir.file("tab.csv"), given: "tab") == 9)
        #expect(throws: DatasetError.self) { try CSVTokenizer.delimiter(of: dir.file("tab.csv"), given: ";;") }
    }

    @Test func unterminatedQuoteAndTextAfterQuoteAreErrorsWithLineAndColumn() throws {
        let e1 = datasetError { _ = try records("a,b\n1,\"open\n2,3\n", bufferSize: 4) }
        #expect(e1?.description.hasSuffix(":2:2: a quoted field never ends (its closing quote is missing).") == true, "\(String(describing: e1))")
        let e2 = datasetError { _ = try records("a,b\n1,\"x\"y\n", bufferSize: 3) }
        #expect(e2?.description.hasSuffix(":2:2: text follows the closing quote of a quoted field (write a quote inside a quoted field as \"\").") == true, "\(String(describing: e2))")
    }

    @Test func numbersMatchStrtod() {
        var rng = SplitMix64(seed: 42)
        var samples = ["0", "-0", "1", "+1.5", "  3.25 ", "1e3", "1E-3", "6.02214076e23", "4.9e-324",
                       "123456789012345678901234567890", "0.1234567890123456789012", ".5", "5.", "-.5e-2",
                       "179769313486231570000000000000000000000000000000000000000000000000000000000000000"]
        for _ in 0..<2000 {
            let mantissa = Double(rng.next() % 10_000_000_000) / 1000
            let exponent = Int(rng.next() % 60) - 30
            samples.append("\(rng.next() % 2 == 0 ? "-" : "")\(mantissa)e\(exponent)")
            samples.append(String(format: "%.6f", Double(Int64(bitPattern: rng.next() % 1_000_000_000)) / 997))
        }
        for text in samples {
            let fast = Array(text.utf8).withUnsafeBufferPointer { CellParsing.number($0) }
            let reference = strtod(text, nil)
            #expect(fast == reference, "\(text)")
        }
        for bad in ["", "-", ".", "e5", "1e", "1.2.3", "12a", "inf", "nan", "0x10", "1,5"] {
            #expect(Array(bad.utf8).withUnsafeBufferPointer { CellParsing.number($0) } == nil, "\(bad)")
        }
        for missing in ["", " ", "NA", "na", "NaN", "nan", "null", "NULL", "?", " ? "] {
            #expect(Array(missing.utf8).withUnsafeBufferPointer { CellParsing.isMissing($0) }, "\(missing)")
        }
        #expect(!Array("none".utf8).withUnsafeBufferPointer { CellParsing.isMissing($0) })
    }
}
