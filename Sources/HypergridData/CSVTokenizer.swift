import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemClose = Glibc.close
#elseif canImport(Darwin)
private let systemClose = Darwin.close
#endif

/// A streaming RFC 4180 tokenizer over the raw bytes of a CSV file: one record at a time,
/// as byte spans into its read buffer.
///
/// Why hand-written: the Swift CSV packages available (SwiftCSV 0.10.0, CSV.swift 2.5.2) work
/// on `String`/`UnicodeScalar`s — SwiftCSV loads the whole file with `String(contentsOf:)`,
/// CSV.swift decodes scalar by scalar through an `AnyIterator` — so neither streams at the
/// byte level nor comes near `pandas.read_csv`'s C tokenizer, the speed target on a 1 GB
/// file; SwiftCSV also needs the whole file in memory as a `String` (about 2× the file).
/// Here the file is read with `read(2)` into one buffer (1 MiB, grown only for a record longer
/// than that) and a record's fields are handed out as spans into it, without copying.
///
/// The grammar is RFC 4180's, with the usual leniencies: fields may be quoted (`"a,b"`), a
/// quote inside a quoted field is doubled (`""`), a quoted field may hold delimiters, CR and
/// LF; records end with LF or CRLF (the CR is dropped); the last record need not end with a
/// newline; a leading UTF-8 byte-order mark is skipped and blank lines are skipped. A quote
/// inside an unquoted field is kept as a character. Text after a closing quote and a quoted
/// field that never closes are errors naming the line and column.
struct CSVTokenizer {
    let url: URL
    let delimiter: UInt8
    private let fd: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes of `buffer` holding file data.
    private var filled = 0
    /// Where the next record starts in `buffer`.
    private var position = 0
    private var atEOF = false
    /// The 1-based line the next record starts on.
    private var nextLine = 1
    /// Bytes of the file before `buffer[0]`.
    private var consumedBefore = 0

    /// The current record's fields: byte offsets into the buffer and flags.
    private(set) var fieldCount = 0
    private var starts: [Int] = []
    private var ends: [Int] = []
    private var escaped: [Bool] = []
    /// The 1-based line the current record starts on.
    private(set) var line = 0
    /// Scratch for un-doubling quotes.
    private var scratch: [UInt8] = []

    static let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// Opens `url`; throws `unreadableFile` naming it.
    init(url: URL, delimiter: UInt8, bufferSize: Int = 1 << 20) throws {
        self.url = url
        self.delimiter = delimiter
        fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DatasetError(.unreadableFile, "Cannot open \(url.path): \(String(cString: strerror(errno))).")
        }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        capacity = bufferSize
        buffer = .allocate(capacity: capacity)
        starts.reserveCapacity(64); ends.reserveCapacity(64); escaped.reserveCapacity(64)
        try fill()
        while filled < 3 && !atEOF { try fill() }
        // A UTF-8 byte-order mark (Excel writes one) is not part of the first header name.
        if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { position = 3 }
    }

    /// Releases the file and the buffer (call once, when done).
    func close() {
        _ = systemClose(fd)
        buffer.deallocate()
    }

    /// Bytes read from the file so far (for progress and rate figures).
    var bytesRead: Int { consumedBefore + filled }

    /// Reads more bytes after `filled`, compacting the buffer so that the record in progress
    /// (from `position`) starts at 0, and doubling it when that record fills it.
    private mutating func fill() throws {
        if position > 0 {
            let keep = filled - position
            if keep > 0 { buffer.update(from: buffer + position, count: keep) }
            consumedBefore += position
            filled = keep
            position = 0
        }
        if filled == capacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: filled)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        while filled < capacity {
            let n = read(fd, buffer + filled, capacity - filled)
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(String(cString: strerror(errno))).")
            }
            if n == 0 { atEOF = true; return }
            filled += n
            // One read per call is enough: the caller loops while it needs more.
            return
        }
    }

    /// Reads the next record; `false` at the end of the file. Blank lines are skipped.
    mutating func next() throws -> Bool {
        while true {
            if position >= filled {
                if atEOF { return false }
                try fill()
                continue
            }
            switch try scanRecord() {
            case .record: return true
            case .blank: continue
            case .needMore: try fill()
            }
        }
    }

    private enum ScanResult { case record, blank, needMore }

    /// Scans the record starting at `position`. On `.needMore` nothing is consumed: the
    /// record is scanned again from its start once more bytes are in.
    private mutating func scanRecord() throws -> ScanResult {
        fieldCount = 0
        var newlines = 0
        var i = position
        let end = filled
        let buf = buffer
        let delim = delimiter
        // A blank line (LF or CRLF alone) is no record.
        if buf[i] == Self.lf || (buf[i] == Self.cr && i + 1 < end && buf[i + 1] == Self.lf) {
            let next = buf[i] == Self.lf ? i + 1 : i + 2
            position = next
            nextLine += 1
            return .blank
        }
        if buf[i] == Self.cr && i + 1 >= end && !atEOF { return .needMore }
        while true {
            let fieldStart = i
            if i < end && buf[i] == Self.quote {
                // Quoted field: up to the closing quote; "" is a quote.
                var j = i + 1
                var hasEscape = false
                while true {
                    while j < end && buf[j] != Self.quote {
                        if buf[j] == Self.lf { newlines += 1 }
                        j += 1
                    }
                    if j >= end {
                        if atEOF {
                            throw DatasetError(.corruptFile, "\(url.path):\(nextLine):\(fieldCount + 1): a quoted field never ends (its closing quote is missing).")
                        }
                        return .needMore
                    }
                    // buf[j] is a quote: doubled, or the closing one?
                    if j + 1 >= end && !atEOF { return .needMore }
                    if j + 1 < end && buf[j + 1] == Self.quote { hasEscape = true; j += 2; continue }
                    break
                }
                append(start: fieldStart + 1, end: j, escaped: hasEscape)
                i = j + 1
                if i >= end {
                    if !atEOF { return .needMore }
                    return finish(at: i, newlines: newlines)
                }
                let b = buf[i]
                if b == delim {
                    i += 1
                    if i >= end {
                        if !atEOF { return .needMore }
                        append(start: i, end: i, escaped: false)
                        return finish(at: i, newlines: newlines)
                    }
                    continue
                }
                if b == Self.lf { return finish(at: i + 1, newlines: newlines + 1) }
                if b == Self.cr {
                    if i + 1 >= end && !atEOF { return .needMore }
                    if i + 1 >= end { return finish(at: i + 1, newlines: newlines) }
                    if buf[i + 1] == Self.lf { return finish(at: i + 2, newlines: newlines + 1) }
                }
                throw DatasetError(.corruptFile, "\(url.path):\(nextLine + newlines):\(fieldCount): text follows the closing quote of a quoted field (write a quote inside a quoted field as \"\").")
            }
            // Unquoted field: up to the delimiter or the end of the line.
            var j = i
            while j < end {
                let b = buf[j]
                if b == delim || b == Self.lf { break }
                j += 1
            }
            if j >= end && !atEOF { return .needMore }
            var fieldEnd = j
            if j < end && buf[j] == Self.lf {
                if fieldEnd > fieldStart && buf[fieldEnd - 1] == Self.cr { fieldEnd -= 1 }
                append(start: fieldStart, end: fieldEnd, escaped: false)
                return finish(at: j + 1, newlines: newlines + 1)
            }
            if j >= end {
                // The last record of a file without a final newline.
                if fieldEnd > fieldStart && buf[fieldEnd - 1] == Self.cr { fieldEnd -= 1 }
                append(start: fieldStart, end: fieldEnd, escaped: false)
                return finish(at: j, newlines: newlines)
            }
            // A delimiter: another field follows (possibly empty, at the end of the line).
            append(start: fieldStart, end: fieldEnd, escaped: false)
            i = j + 1
            if i >= end {
                if !atEOF { return .needMore }
                append(start: i, end: i, escaped: false)
                return finish(at: i, newlines: newlines)
            }
        }
    }

    private mutating func finish(at next: Int, newlines: Int) -> ScanResult {
        line = nextLine
        nextLine += newlines
        position = next
        return .record
    }

    @inline(__always)
    private mutating func append(start: Int, end: Int, escaped isEscaped: Bool) {
        if fieldCount < starts.count {
            starts[fieldCount] = start; ends[fieldCount] = end; escaped[fieldCount] = isEscaped
        } else {
            starts.append(start); ends.append(end); escaped.append(isEscaped)
        }
        fieldCount += 1
    }

    /// Calls `body` with the bytes of field `index` of the current record (quotes removed,
    /// doubled quotes undoubled). The bytes are valid only during the call.
    @inline(__always)
    mutating func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let s = starts[index], e = ends[index]
        if !escaped[index] {
            return try body(UnsafeBufferPointer(start: buffer + s, count: e - s))
        }
        scratch.removeAll(keepingCapacity: true)
        var k = s
        while k < e {
            scratch.append(buffer[k])
            k += buffer[k] == Self.quote ? 2 : 1
        }
        return try scratch.withUnsafeBufferPointer { try body($0) }
    }

    /// Field `index` of the current record as a string (for headers, categories, messages).
    mutating func string(_ index: Int) -> String {
        withField(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Every field of the current record as strings.
    mutating func strings() -> [String] { (0..<fieldCount).map { string($0) } }
}

extension CSVTokenizer {
    /// The delimiter of a file: `given` (one character, or `\t`/`tab`), else whichever of
    /// `,` `;` tab `|` occurs most often outside quotes in the header line (`,` when none does).
    static func delimiter(of url: URL, given: String?) throws -> UInt8 {
        if let given {
            let text = given == "tab" || given == "\\t" ? "\t" : given
            guard text.utf8.count == 1, let byte = text.utf8.first, byte != quote, byte != lf, byte != cr else {
                throw DatasetError(.invalidParameter, "delimiter '\(given)' must be one single-byte character such as , ; | or tab.")
            }
            return byte
        }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DatasetError(.unreadableFile, "Cannot open \(url.path): \(String(cString: strerror(errno))).")
        }
        defer { _ = systemClose(fd) }
        var head = [UInt8](repeating: 0, count: 64 << 10)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]
        var counts = [Int](repeating: 0, count: candidates.count)
        var inQuotes = false
        for b in head.prefix(max(n, 0)) {
            if b == quote { inQuotes.toggle(); continue }
            if !inQuotes && b == lf { break }
            if !inQuotes, let k = candidates.firstIndex(of: b) { counts[k] += 1 }
        }
        let best = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
        return counts[best] > 0 ? candidates[best] : candidates[0]
    }
}
