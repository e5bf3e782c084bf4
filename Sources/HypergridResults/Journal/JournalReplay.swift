import Foundation
import HypergridFiles
import HypergridSearchSpace

/// What a journal holds: every record, and the trials it has finished.
public struct JournalReplay: Sendable, Equatable {
    /// A last line cut short by a crash: no newline, or not valid JSON.
    public struct TornTail: Sendable, Equatable {
        /// 1-based line number of the torn line.
        public var line: Int
        /// Where the torn line starts; the journal is truncated to this size.
        public var offset: Int
        public var length: Int
    }

    /// Every complete record, in file order.
    public var entries: [JournalEntry] = []
    /// Each trial's first result (the first record wins, as in the scheduler), with the
    /// metrics, history, worker and digest of a verification run that replaced it
    /// (``VerificationRecord/Verdict/replacesResult``).
    public var results: [TrialID: TrialResultRecord] = [:]
    /// Re-runs of finished trials (issue 17 §3), in file order.
    public var verifications: [VerificationRecord] = []
    /// Trials the coordinator gave up on, unless a result came first.
    public var failures: [TrialID: TrialFailedRecord] = [:]
    /// Records about a trial that already had one; only a bug or two coordinators on one
    /// journal make these.
    public var duplicates = 0
    /// Workers taken out of the run, in file order.
    public var quarantined: [WorkerQuarantinedRecord] = []
    public var tornTail: TornTail?
    /// Bytes of complete lines: the size the file should have.
    public var validLength = 0

    /// An empty journal.
    public init() {}

    /// Trials the scheduler should skip: those with a result or given up on.
    public var finished: Set<TrialID> { Set(results.keys).union(failures.keys) }

    /// Parses a journal's bytes.
    ///
    /// A last line without a newline, or whose JSON does not parse, is what a crash
    /// mid-append leaves: it is reported in ``tornTail`` and left out, and its trial simply
    /// runs again. A bad line anywhere else means the file was damaged or edited and
    /// throws ``JournalError/corruptLine(path:line:detail:)``.
    public init(bytes: [UInt8], path: String) throws {
        let decoder = JournalJSON.decoder()
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            let newline = bytes[start...].firstIndex(of: 0x0A)
            let end = newline ?? bytes.count
            let isLast = newline == nil || newline! + 1 == bytes.count
            let line = bytes[start..<end]
            if newline == nil {
                tornTail = TornTail(line: lineNumber, offset: start, length: bytes.count - start)
                break
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                start = end + 1
                validLength = start
                continue
            }
            do {
                let entry = try decoder.decode(JournalEntry.self, from: Data(line))
                add(entry)
            } catch {
                if isLast {
                    tornTail = TornTail(line: lineNumber, offset: start, length: bytes.count - start)
                    break
                }
                throw JournalError.corruptLine(path: path, line: lineNumber, detail: Self.describe(error))
            }
            start = end + 1
            validLength = start
        }
    }

    /// Adds one record, as reading it from the file would.
    public mutating func add(_ entry: JournalEntry) {
        entries.append(entry)
        switch entry.record {
        case .runStarted: break
        case .workerQuarantined(let r): quarantined.append(r)
        case .verification(let v):
            verifications.append(v)
            if v.verdict.replacesResult, var r = results[v.trial] {
                r.replace(by: v)
                results[v.trial] = r
            }
        case .trialResult(let r):
            if results[r.trial] != nil || failures[r.trial] != nil { duplicates += 1 } else { results[r.trial] = r }
        case .trialFailed(let r):
            if results[r.trial] != nil || failures[r.trial] != nil { duplicates += 1 } else { failures[r.trial] = r }
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription + at(c.codingPath)
        case DecodingError.keyNotFound(let key, let c): return "missing \"\(key.stringValue)\"" + at(c.codingPath)
        case DecodingError.typeMismatch(_, let c): return c.debugDescription + at(c.codingPath)
        case DecodingError.valueNotFound(_, let c): return c.debugDescription + at(c.codingPath)
        default: return "\(error)"
        }
    }

    private static func at(_ path: [CodingKey]) -> String {
        path.isEmpty ? "" : " at " + path.map(\.stringValue).joined(separator: ".")
    }
}

/// Why a journal could not be opened, read or appended to.
public enum JournalError: Error, Equatable, CustomStringConvertible {
    /// A line other than the last is not a valid record.
    case corruptLine(path: String, line: Int, detail: String)
    /// Another coordinator holds the journal's lock.
    case locked(path: String)
    /// An append failed half way and the partial line could not be removed; the file must
    /// be reopened (which drops the torn line) before anything else is appended.
    case unusable(path: String, cause: String)
    case io(FileSystemError)

    public var description: String {
        switch self {
        case .corruptLine(let path, let line, let detail):
            return "\(path):\(line): not a journal record (\(detail)); the journal is damaged — fix or remove that line"
        case .locked(let path):
            return "\(path) is in use by another coordinator"
        case .unusable(let path, let cause):
            return "\(path) cannot be appended to until the coordinator restarts: \(cause)"
        case .io(let error):
            return error.description
        }
    }
}
