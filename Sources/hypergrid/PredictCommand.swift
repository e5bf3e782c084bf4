import ArgumentParser
import Foundation
import HypergridResults
import HypergridData
import HypergridModel
import HypergridPreprocessing

/// `hypergrid predict`: a kept or saved model's predictions for the rows of a file.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a trained model: raw rows in, classes and probabilities (or values) out.",
        discussion: """
        The input has the training data's columns (a CSV by header name; the label column may be
        there or not) or, for array data, the same number of values per row (.npy, or the 'x'
        array of an .npz). The output CSV has one row per input row: the predicted class and the
        probability of every class, or one value per regression target.
          hypergrid predict --model runs/fmnist --input test.npy --output predictions.csv
        """)

    @Option(help: "An .hgmodel file, or a run folder (its kept models; see --trial).")
    var model: String
    @Option(help: "With a run folder: the trial whose model to use (its id or a unique prefix).")
    var trial: String?
    @Option(help: "Rows to predict: .csv, .npy or .npz.")
    var input: String
    @Option(name: .customLong("array"), help: "The features array inside an .npz input.")
    var arrayName: String = "x"
    @Option(help: "Where to write the predictions (CSV).")
    var output: String
    @Option(help: "Threads for the forward pass.")
    var threads: Int = 1

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        // The forward pass runs the kernel's GEMM: HYPERGRID_KERNEL is checked as for train.
        try applyKernelChoice()
    }

    func run() throws {
        let (model, modelURL) = try ModelLocation.resolve(self.model, trial: trial)
        let outputURL = try OutputPath.checked(output, what: "predictions file")
        let clock = ContinuousClock()
        let start = clock.now
        let rows = try model.schema.encodeRows(of: URL(fileURLWithPath: input), arrayName: arrayName)
        let read = clock.now
        let predictor = ModelPredictor(model: model, threads: threads)
        let writer = PredictionsCSV(schema: model.schema)
        var forward = Duration.zero
        try OutputPath.write(to: outputURL, what: "predictions file") { sink in
            try sink(writer.header)
            let chunk = 8192, c = model.outputCount
            var outputs = [Float](repeating: 0, count: chunk * c)
            var classes = [Int32](repeating: 0, count: chunk)
            var first = 0
            while first < rows.rows {
                let n = min(chunk, rows.rows - first)
                let t = clock.now
                outputs.withUnsafeMutableBufferPointer { out in
                    classes.withUnsafeMutableBufferPointer { cls in
                        predictor.predict(features: rows.features.base + first * rows.width, rows: n,
                                          outputs: out.baseAddress!, classes: cls.baseAddress!)
                    }
                }
                forward += clock.now - t
                try sink(writer.rows(outputs: outputs, classes: classes, count: n))
                first += n
            }
        }
        let total = clock.now - start
        printError("Predicted \(rows.rows) rows of \(input) with trial \(model.trialID.prefix(12)) (\(modelURL.lastPathComponent)) into \(outputURL.path): read \(Self.format(read - start)), forward pass \(Self.format(forward)) (\(Self.rate(rows.rows, forward)) rows/s), total \(Self.format(total)).")
    }

    static func format(_ d: Duration) -> String {
        String(format: "%.3f s", Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }

    static func rate(_ rows: Int, _ d: Duration) -> String {
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        return seconds > 0 ? String(format: "%.0f", Double(rows) / seconds) : "-"
    }
}

/// The predictions file: `class,p_<name>…` for classification, the target names for regression.
struct PredictionsCSV {
    let schema: InputSchema

    var header: [UInt8] {
        switch schema.target {
        case .classes(let names): return Array((["class"] + names.map { CSV.quote("p_\($0)") }).joined(separator: ",").utf8) + [10]
        case .regression(let names, _, _): return Array(names.map(CSV.quote).joined(separator: ",").utf8) + [10]
        }
    }

    /// Lines for `count` rows; floats in their shortest round-trip form (exactly the float32).
    func rows(outputs: [Float], classes: [Int32], count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count * 16 * schema.target.outputCount)
        let c = schema.target.outputCount
        let names: [[UInt8]]? = {
            if case .classes(let n) = schema.target { return n.map { Array(CSV.quote($0).utf8) } }
            return nil
        }()
        for r in 0..<count {
            if let names {
                out.append(contentsOf: names[Int(classes[r])])
                out.append(44)
            }
            for j in 0..<c {
                if j > 0 { out.append(44) }
                out.append(contentsOf: outputs[r * c + j].description.utf8)
            }
            out.append(10)
        }
        return out
    }
}
