import ArgumentParser
import Foundation
import HypergridExport
import HypergridModel

/// `hypergrid export`: a model as ONNX (with a JSON sidecar) or safetensors.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a kept or saved model as ONNX (opset 17) or safetensors.",
        discussion: """
        ONNX: standardisation, PCA, every layer and the softmax are in the graph; its input
        'features' is the row after column encoding, which FILE.json (written beside it)
        describes with the class names or target scaling. safetensors: the weights and the
        pipeline's arrays, with the architecture and schema in the header's metadata.
          hypergrid export runs/fmnist --format onnx --output fmnist.onnx
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx, safetensors
    }

    @Argument(help: "A run folder (its kept models) or an .hgmodel file.")
    var source: String
    @Option(help: "With a run folder: the trial whose model to export (its id or a unique prefix).")
    var trial: String?
    @Option(help: "onnx or safetensors.")
    var format: Format
    @Option(help: "The file to write.")
    var output: String

    func run() throws {
        let (model, modelURL) = try ModelLocation.resolve(source, trial: trial)
        let url = try OutputPath.checked(output, what: "\(format.rawValue) file")
        switch format {
        case .onnx:
            let sidecar = ExportSidecar.url(for: url)
            _ = try OutputPath.checked(sidecar.path, what: "sidecar file")
            let bytes = try ONNXExport.encode(model)
            try OutputPath.write(bytes, to: url, what: "ONNX file")
            try OutputPath.write(Data(ExportSidecar.encode(model, format: "onnx", file: url.lastPathComponent).utf8),
                                 to: sidecar, what: "sidecar file")
            printError("Wrote trial \(model.trialID.prefix(12)) (\(modelURL.lastPathComponent)) as ONNX opset \(ONNXExport.opset) to \(url.path) (\(bytes.count) bytes) and its description to \(sidecar.path).")
        case .safetensors:
            let bytes = SafetensorsExport.encode(model)
            try OutputPath.write(bytes, to: url, what: "safetensors file")
            printError("Wrote trial \(model.trialID.prefix(12)) (\(modelURL.lastPathComponent)) as safetensors to \(url.path) (\(bytes.count) bytes).")
        }
    }
}
