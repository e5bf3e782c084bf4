// hypergrid-csv-bench: how fast hypergrid reads a CSV file into its float32 splits, and at
// what peak memory. scripts/bench-csv runs it beside pandas.read_csv on the same file.
//
//   hypergrid-csv-bench FILE.csv LABEL [REPEATS]
//
// Prints one line per repeat and a summary: rows, columns, seconds, MB/s, peak RSS and the
// size of the float32 matrix. The read is the whole of what `hypergrid` does before
// standardisation: tokenizing, number parsing, typing, the (stratified) split and imputation.
import Foundation
import HypergridData
#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: hypergrid-csv-bench FILE.csv LABEL [REPEATS]\n".utf8))
    exit(64)
}
let path = args[1], label = args[2]
let repeats = args.count > 3 ? Int(args[3]) ?? 1 : 1
let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024   // kilobytes on Linux
}

var best = Double.infinity
var shape = (rows: 0, columns: 0)
for run in 1...repeats {
    var request = DatasetRequest(kind: .csv, directory: path)
    // Every row to training: the figure is the read, not a split.
    request.file = FileSource(label: label, validationFraction: 0)
    let start = DispatchTime.now().uptimeNanoseconds
    do {
        let splits = try request.loadRawSplits()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        shape = (splits.train.rows + splits.validation.rows + splits.test.rows, splits.featureCount)
        best = min(best, seconds)
        print(String(format: "run %d: %.2f s (%.0f MB/s)", run, seconds, Double(bytes) / 1e6 / seconds))
    } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        exit(1)
    }
}
let matrixMB = Double(shape.rows * shape.columns * 4) / 1e6
print(String(format: "hypergrid: %d rows × %d features, best %.2f s, %.0f MB/s, peak RSS %.0f MB (float32 matrix %.0f MB, ratio %.2f)",
             shape.rows, shape.columns, best, Double(bytes) / 1e6 / best, peakRSSMegabytes(), matrixMB,
             peakRSSMegabytes() / max(matrixMB, 1)))
