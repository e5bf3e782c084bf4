import Foundation
import HypergridModel

/// A model's arrays as a safetensors file: the weights, the BatchNorm running statistics and
/// the input pipeline's arrays (standardisation mean and scale, PCA components, regression
/// target scaling), with the architecture, input schema, trial id and configuration as JSON
/// strings in the header's `__metadata__`.
///
/// Written by hand rather than through a library: the format is an 8-byte little-endian
/// header length, a JSON header (`{"name": {"dtype", "shape", "data_offsets"}, …}`) and the
/// raw little-endian bytes, and no Swift package for it is among the dependencies this project
/// can use. The header is padded with spaces to a multiple of 8 bytes (as the reference
/// implementation does) so that every tensor is 8-byte aligned.
public enum SafetensorsExport {
    /// One array to store.
    struct Entry {
        var name: String
        var dtype: String
        var shape: [Int]
        var data: Data
    }

    static func entries(_ model: TrainedModel) -> [Entry] {
        var out: [Entry] = []
        func f32(_ name: String, _ values: [Float], _ shape: [Int]) {
            out.append(Entry(name: name, dtype: "F32", shape: shape, data: ExportTensors.littleEndian(values)))
        }
        func f64(_ name: String, _ values: [Double], _ shape: [Int]) {
            out.append(Entry(name: name, dtype: "F64", shape: shape, data: ExportTensors.littleEndian(values)))
        }
        f64(ExportTensors.mean, model.standardizer.mean, [model.featureCount])
        f64(ExportTensors.scale, model.standardizer.scale, [model.featureCount])
        if let p = model.projection { f32(ExportTensors.pcaComponents, p.basis, [p.components, p.features]) }
        for (l, layer) in model.layers.enumerated() {
            let names = ExportTensors.Layer(l)
            f32(names.weight, layer.weight, [layer.inputs, layer.outputs])
            if let bias = layer.bias { f32(names.bias, bias, [layer.outputs]) }
            if let bn = layer.batchNorm {
                f32(names.gamma, bn.gamma, [layer.outputs])
                f32(names.beta, bn.beta, [layer.outputs])
                f32(names.runningMean, bn.runningMean, [layer.outputs])
                f32(names.runningVariance, bn.runningVariance, [layer.outputs])
            }
        }
        if case .regression(_, let mean, let deviation) = model.schema.target {
            f64(ExportTensors.targetMean, mean, [mean.count])
            f64(ExportTensors.targetDeviation, deviation, [deviation.count])
        }
        return out
    }

    /// The architecture as the metadata describes it.
    static func architectureJSON(_ model: TrainedModel) -> String {
        let layers = model.layers.enumerated().map { l, layer -> [String: Any] in
            ["index": l, "inputs": layer.inputs, "outputs": layer.outputs,
             "batch_norm": layer.batchNorm != nil, "activation": layer.isOutput ? "none" : "relu"]
        }
        let object: [String: Any] = [
            "layers": layers, "hidden": model.shape.hidden, "inputs": model.shape.inputWidth,
            "outputs": model.shape.classCount, "batch_norm": model.shape.batchNorm,
            "batch_norm_epsilon": Double(model.layers.first?.batchNorm?.epsilon ?? 1e-5),
            "layer": "z = x @ weight + bias (weight is inputs × outputs); hidden: BatchNorm (inference) or bias, then ReLU",
            "pipeline": "features → (x − preprocess.mean) / preprocess.scale in float64 → @ preprocess.pca_components.T (if present) → layers",
            "output": model.schema.target.outputCount > 0 ? outputDescription(model) : "",
        ]
        return ExportSidecar.json(object)
    }

    static func outputDescription(_ model: TrainedModel) -> String {
        switch model.schema.target {
        case .classes: return "softmax over the last layer's scores: class probabilities"
        case .regression: return "last layer · postprocess.target_deviation + postprocess.target_mean"
        }
    }

    /// The file's bytes.
    public static func encode(_ model: TrainedModel) -> Data {
        let entries = entries(model)
        var header: [String: Any] = [:]
        var offset = 0
        for e in entries {
            header[e.name] = ["dtype": e.dtype, "shape": e.shape, "data_offsets": [offset, offset + e.data.count]]
            offset += e.data.count
        }
        header["__metadata__"] = [
            "format": "hypergrid", "model_format": "\(TrainedModel.formatVersion)",
            "trial_id": model.trialID, "config": model.configJSON, "numerics": model.numerics,
            "dataset": model.datasetName, "dataset_fingerprint": model.datasetFingerprint,
            "architecture": architectureJSON(model), "input_schema": TrainedModel.schemaJSON(model.schema),
        ]
        var json = Data(ExportSidecar.json(header).utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for e in entries { out.append(e.data) }
        return out
    }
}
