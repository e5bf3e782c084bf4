import Foundation
@testable import HypergridExport
import HypergridModel
import SwiftProtobuf
import Testing

struct ONNXExportTests {
    @Test func theGraphHoldsThePipelineEveryLayerAndTheSoftmax() throws {
        let model = sampleModel()
        let proto = try Onnx_ModelProto(serializedBytes: try ONNXExport.encode(model))
        #expect(proto.irVersion == 8 && proto.opsetImport.map(\.version) == [17])
        #expect(proto.graph.node.map(\.opType) == [
            "Cast", "Sub", "Div", "Cast", "Gemm",
            "MatMul", "BatchNormalization", "Relu",
            "MatMul", "BatchNormalization", "Relu",
            "MatMul", "Add", "Softmax", "ArgMax"])
        #expect(proto.graph.input.map(\.name) == ["features"])
        #expect(proto.graph.output.map(\.name) == ["probabilities", "class_index"])
        let initializers = Dictionary(uniqueKeysWithValues: proto.graph.initializer.map { ($0.name, $0) })
        let weight = try #require(initializers["layers.2.weight"])
        #expect(weight.dims == [4, 3])
        let floats = weight.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(floats == model.layers[2].weight)
        #expect(initializers["preprocess.mean"]?.dataType == Int32(Onnx_TensorProto.DataType.double.rawValue))
        #expect(proto.metadataProps.first { $0.key == "trial_id" }?.value == model.trialID)
    }

    @Test func regressionScalesTheOutputInsteadOfSoftmax() throws {
        let proto = try Onnx_ModelProto(serializedBytes: try ONNXExport.encode(sampleModel(pca: false, regression: true)))
        #expect(Array(proto.graph.node.map(\.opType).suffix(2)) == ["Mul", "Add"])
        #expect(!proto.graph.node.contains { $0.opType == "Gemm" })
        #expect(proto.graph.output.map(\.name) == ["predictions"])
    }
}

struct SafetensorsExportTests {
    /// The layout of the format: an 8-byte little-endian header length, a JSON header whose
    /// offsets tile the data exactly, 8-byte alignment, and metadata of strings only.
    @Test func theFileFollowsTheSafetensorsLayout() throws {
        let model = sampleModel()
        let bytes = [UInt8](SafetensorsExport.encode(model))
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(length % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        let metadata = try #require(header["__metadata__"] as? [String: String])
        #expect(metadata["trial_id"] == model.trialID && metadata["architecture"] != nil)
        var spans: [(Int, Int)] = []
        for (name, value) in header where name != "__metadata__" {
            let entry = try #require(value as? [String: Any])
            let offsets = try #require(entry["data_offsets"] as? [Int])
            let shape = try #require(entry["shape"] as? [Int])
            let size = entry["dtype"] as? String == "F64" ? 8 : 4
            #expect(offsets[1] - offsets[0] == shape.reduce(1, *) * size, "\(name)")
            spans.append((offsets[0], offsets[1]))
        }
        spans.sort { $0.0 < $1.0 }
        #expect(spans.first?.0 == 0 && spans.last?.1 == bytes.count - 8 - length)
        for (a, b) in zip(spans, spans.dropFirst()) { #expect(a.1 == b.0) }
        let entry = try #require(header["layers.0.batch_norm.running_var"] as? [String: Any])
        let offsets = entry["data_offsets"] as! [Int]
        let start = 8 + length + offsets[0]
        let values = Array(bytes[start..<(8 + length + offsets[1])]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values == model.layers[0].batchNorm!.runningVariance)
    }
}
