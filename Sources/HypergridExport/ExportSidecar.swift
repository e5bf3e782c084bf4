import Foundation
import HypergridData
import HypergridModel

/// The JSON file written beside an ONNX export (`model.onnx` → `model.onnx.json`): what the
/// graph's `features` input holds (the raw columns' encoding, one name per feature), what
/// its outputs mean (class names or target columns), and where the model came from.
public enum ExportSidecar {
    /// The sidecar's path for an export written to `output`.
    public static func url(for output: URL) -> URL {
        output.appendingPathExtension("json")
    }

    /// One name per feature of the graph's input, in order: a numeric column's name, a
    /// categorical column's `name=category` per one-hot feature, `x0`, `x1`, … for array data.
    public static func featureNames(_ schema: InputSchema) -> [String] {
        guard let columns = schema.columns else { return (0..<schema.arrayFeatureCount).map { "x\($0)" } }
        return columns.flatMap { column -> [String] in
            switch column.encoding {
            case .numeric: return [column.name]
            case .categorical(let vocabulary, _): return vocabulary.map { "\(column.name)=\($0)" }
            }
        }
    }

    /// The sidecar's text.
    public static func encode(_ model: TrainedModel, format: String, file: String) -> String {
        let schemaObject = (try? JSONSerialization.jsonObject(with: Data(TrainedModel.schemaJSON(model.schema).utf8))) ?? [:]
        let configObject = (try? JSONSerialization.jsonObject(with: Data(model.configJSON.utf8))) ?? model.configJSON
        var outputs: [String: Any]
        switch model.schema.target {
        case .classes(let names):
            outputs = ["probabilities": "float [rows × \(names.count)]: softmax probability of each class, in class_names order",
                       "class_index": "int64 [rows]: the index of the most probable class in class_names",
                       "class_names": names]
        case .regression(let names, let mean, let deviation):
            outputs = ["predictions": "float [rows × \(names.count)]: one value per target column, in its own units",
                       "target_names": names, "target_mean": mean, "target_deviation": deviation]
        }
        let object: [String: Any] = [
            "format": format, "file": file, "hypergrid_model_format": Int(TrainedModel.formatVersion),
            "trial_id": model.trialID, "config": configObject,
            "dataset": model.datasetName, "dataset_fingerprint": model.datasetFingerprint,
            "validation_metric": model.validationMetric.map { $0 as Any } ?? NSNull(),
            "test_metric": model.testMetric.map { $0 as Any } ?? NSNull(),
            "input": [
                "name": ONNXExport.inputName,
                "dtype": "float32",
                "shape": ["rows", model.featureCount],
                "description": "raw rows after column encoding (numbers as they are, missing numbers imputed, text one-hot); standardisation and PCA are inside the graph",
                "feature_names": featureNames(model.schema),
                "schema": schemaObject,
            ] as [String: Any],
            "outputs": outputs,
        ]
        return json(object, pretty: true)
    }

    /// JSON text with sorted keys.
    static func json(_ object: Any, pretty: Bool = false) -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        // Only strings, numbers, arrays and dictionaries built above: always serialisable.
        let data = try! JSONSerialization.data(withJSONObject: object, options: options)
        return String(decoding: data, as: UTF8.self)
    }
}
