import Foundation
import HypergridFiles

/// A rendered report: the page and its charts, not yet written.
public struct Report: Sendable {
    /// The page's file name inside the output directory.
    public static let pageFileName = "report.html"

    public var html: String
    public var charts: [ReportChart]

    /// Renders a run's results. Pure: the same results, options and time give the same text.
    public init(results: RunResults, options: ReportOptions = ReportOptions(),
                time: Double = Date().timeIntervalSince1970) {
        charts = ReportCharts(results: results, options: options).all
        html = ReportPage(results: results, options: options, charts: charts, time: time).html()
    }

    /// Writes every chart's SVG file and then `report.html` into `directory`, each
    /// atomically (a temporary file renamed over the old one), so that a browser reloading
    /// the page while a run refreshes it never sees half a file. Returns the paths written.
    ///
    /// - Throws: ``ReportError`` naming the file that could not be written.
    @discardableResult
    public func write(toDirectory directory: String) throws -> [String] {
        try Self.makeDirectories(directory)
        var written: [String] = []
        // The page last: it is what people reload.
        for (name, text) in charts.map({ ($0.fileName, $0.svg) }) + [(Self.pageFileName, html)] {
            let path = (directory as NSString).appendingPathComponent(name)
            do {
                try DurableFile.replace(path, with: Array(text.utf8))
            } catch {
                throw ReportError("\(error)")
            }
            written.append(path)
        }
        return written
    }

    /// `mkdir -p` (`POSIX.makeDirectories`), its errors as one sentence.
    static func makeDirectories(_ path: String) throws {
        do {
            try POSIX.makeDirectories(path)
        } catch let error as FileSystemError where error.errno == ENOTDIR {
            // Name the component that is a file, not the path below it.
            var file = path
            var isDirectory: ObjCBool = false
            while !(FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && !isDirectory.boolValue),
                  case let parent = (file as NSString).deletingLastPathComponent, !parent.isEmpty, parent != file {
                file = parent
            }
            throw ReportError("cannot write the report into \(file): it is a file, not a directory.")
        } catch let error as FileSystemError {
            throw ReportError("cannot create the report directory \(path): \(String(cString: strerror(error.errno))).")
        }
    }

    /// Reads `runDirectory`'s journal and writes its report into `outputDirectory`
    /// (default: the run directory). Returns the page's path.
    ///
    /// - Throws: ``ReportError`` (no such directory, no journal, no finished trial yet,
    ///   a damaged journal, a file that cannot be written).
    @discardableResult
    public static func make(runDirectory: String, outputDirectory: String? = nil,
                            options: ReportOptions = ReportOptions()) throws -> String {
        let results = try RunResults.load(runDirectory: runDirectory)
        let output = outputDirectory ?? runDirectory
        try Report(results: results, options: options).write(toDirectory: output)
        return (output as NSString).appendingPathComponent(pageFileName)
    }
}
