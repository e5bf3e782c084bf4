import Foundation
import HypergridData
import HypergridModel
import SwiftProtobuf

/// A model as an ONNX graph (opset 17, IR version 8) that computes what
/// `hypergrid predict` computes, from the encoded feature vector on:
///
///     features [rows × D] float ─ Cast(double) ─ Sub(mean) ─ Div(scale) ─ Cast(float)   (as the trainer: float64)
///       ─ Gemm(transB: PCA components [k × D])                                           (if PCA)
///       ─ per hidden layer: MatMul(W) ─ Add(b) | BatchNormalization(γ, β, μ, σ²) ─ Relu
///       ─ MatMul(W) ─ Add(b) → scores
///       → Softmax → probabilities, ArgMax(scores) → class_index                          (classification)
///       → Mul(deviation) ─ Add(mean) → predictions                                       (regression)
///
/// Column encoding (CSV text → numbers) stays outside the graph: the JSON sidecar
/// (``ExportSidecar``) describes it. Tensor names are those of the safetensors export.
public enum ONNXExport {
    public static let opset: Int64 = 17
    /// IR version 8 is the one that goes with opset 17 (ONNX 1.12 and later read it).
    public static let irVersion: Int64 = 8
    /// The graph's input name.
    public static let inputName = "features"

    /// The serialised ModelProto.
    public static func encode(_ model: TrainedModel) throws -> Data {
        try modelProto(model).serializedData()
    }

    static func modelProto(_ model: TrainedModel) -> Onnx_ModelProto {
        var graph = GraphBuilder()
        graph.proto.name = "hypergrid-\(model.trialID.prefix(12))"
        graph.input(inputName, elementType: .float, columns: model.featureCount)

        let d = model.featureCount
        graph.initializer(ExportTensors.mean, doubles: model.standardizer.mean, dims: [d])
        graph.initializer(ExportTensors.scale, doubles: model.standardizer.scale, dims: [d])
        var x = graph.node("Cast", [inputName], attributes: [.int("to", Int64(Onnx_TensorProto.DataType.double.rawValue))])
        x = graph.node("Sub", [x, ExportTensors.mean])
        x = graph.node("Div", [x, ExportTensors.scale])
        x = graph.node("Cast", [x], attributes: [.int("to", Int64(Onnx_TensorProto.DataType.float.rawValue))],
                       output: "standardized")
        if let p = model.projection {
            graph.initializer(ExportTensors.pcaComponents, floats: p.basis, dims: [p.components, p.features])
            x = graph.node("Gemm", [x, ExportTensors.pcaComponents], attributes: [.int("transB", 1)], output: "projected")
        }
        for (l, layer) in model.layers.enumerated() {
            let names = ExportTensors.Layer(l)
            graph.initializer(names.weight, floats: layer.weight, dims: [layer.inputs, layer.outputs])
            x = graph.node("MatMul", [x, names.weight])
            if let bias = layer.bias {
                graph.initializer(names.bias, floats: bias, dims: [layer.outputs])
                x = graph.node("Add", [x, names.bias], output: layer.isOutput ? "scores" : nil)
            }
            if let bn = layer.batchNorm {
                graph.initializer(names.gamma, floats: bn.gamma, dims: [layer.outputs])
                graph.initializer(names.beta, floats: bn.beta, dims: [layer.outputs])
                graph.initializer(names.runningMean, floats: bn.runningMean, dims: [layer.outputs])
                graph.initializer(names.runningVariance, floats: bn.runningVariance, dims: [layer.outputs])
                x = graph.node("BatchNormalization", [x, names.gamma, names.beta, names.runningMean, names.runningVariance],
                               attributes: [.float("epsilon", bn.epsilon)])
            }
            if !layer.isOutput { x = graph.node("Relu", [x]) }
        }
        let c = model.outputCount
        switch model.schema.target {
        case .classes:
            graph.node("Softmax", [x], attributes: [.int("axis", -1)], output: "probabilities")
            graph.node("ArgMax", [x], attributes: [.int("axis", 1), .int("keepdims", 0)], output: "class_index")
            graph.output("probabilities", elementType: .float, columns: c)
            graph.output("class_index", elementType: .int64, columns: nil)
        case .regression(_, let mean, let deviation):
            graph.initializer(ExportTensors.targetMean, floats: mean.map(Float.init), dims: [c])
            graph.initializer(ExportTensors.targetDeviation, floats: deviation.map(Float.init), dims: [c])
            let scaled = graph.node("Mul", [x, ExportTensors.targetDeviation])
            graph.node("Add", [scaled, ExportTensors.targetMean], output: "predictions")
            graph.output("predictions", elementType: .float, columns: c)
        }

        var proto = Onnx_ModelProto()
        proto.irVersion = irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opset
        proto.opsetImport = [opset]
        proto.producerName = "hypergrid"
        proto.producerVersion = "model format \(TrainedModel.formatVersion)"
        proto.docString = "hypergrid trial \(model.trialID) on \(model.datasetName)"
        proto.metadataProps = [("trial_id", model.trialID), ("config", model.configJSON),
                               ("dataset", model.datasetName), ("dataset_fingerprint", model.datasetFingerprint),
                               ("input_schema", TrainedModel.schemaJSON(model.schema))].map {
            var entry = Onnx_StringStringEntryProto()
            entry.key = $0.0
            entry.value = $0.1
            return entry
        }
        proto.graph = graph.proto
        return proto
    }
}

/// Builds a GraphProto node by node with generated value names.
private struct GraphBuilder {
    var proto = Onnx_GraphProto()
    private var counter = 0

    enum Attribute {
        case int(String, Int64)
        case float(String, Float)
    }

    /// Adds a node and returns its (single) output's name.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], attributes: [Attribute] = [], output: String? = nil) -> String {
        counter += 1
        let name = output ?? "\(op.lowercased())_\(counter)"
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = "\(op)_\(counter)"
        node.input = inputs
        node.output = [name]
        node.attribute = attributes.map { attribute in
            var a = Onnx_AttributeProto()
            switch attribute {
            case .int(let key, let value):
                a.name = key
                a.type = .int
                a.i = value
            case .float(let key, let value):
                a.name = key
                a.type = .float
                a.f = value
            }
            return a
        }
        proto.node.append(node)
        return name
    }

    mutating func initializer(_ name: String, floats: [Float], dims: [Int]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = dims.map(Int64.init)
        t.rawData = ExportTensors.littleEndian(floats)
        proto.initializer.append(t)
    }

    mutating func initializer(_ name: String, doubles: [Double], dims: [Int]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.double.rawValue)
        t.dims = dims.map(Int64.init)
        t.rawData = ExportTensors.littleEndian(doubles)
        proto.initializer.append(t)
    }

    mutating func input(_ name: String, elementType: Onnx_TensorProto.DataType, columns: Int?) {
        proto.input.append(Self.valueInfo(name, elementType, columns))
    }

    mutating func output(_ name: String, elementType: Onnx_TensorProto.DataType, columns: Int?) {
        proto.output.append(Self.valueInfo(name, elementType, columns))
    }

    /// A tensor of `rows` (symbolic) × `columns`, or a vector of `rows` when columns is nil.
    static func valueInfo(_ name: String, _ elementType: Onnx_TensorProto.DataType, _ columns: Int?) -> Onnx_ValueInfoProto {
        var rows = Onnx_TensorShapeProto.Dimension()
        rows.dimParam = "rows"
        var shape = Onnx_TensorShapeProto()
        shape.dim = [rows]
        if let columns {
            var c = Onnx_TensorShapeProto.Dimension()
            c.dimValue = Int64(columns)
            shape.dim.append(c)
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(elementType.rawValue)
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}
