import Foundation

/// The tensor names both exports use, so that an ONNX initializer and a safetensors entry of
/// the same array are found under the same name.
public enum ExportTensors {
    public static let mean = "preprocess.mean"
    public static let scale = "preprocess.scale"
    /// PCA axes, `components × features` (scikit-learn's `components_` layout).
    public static let pcaComponents = "preprocess.pca_components"
    public static let targetMean = "postprocess.target_mean"
    public static let targetDeviation = "postprocess.target_deviation"

    /// The names of layer `index`'s tensors.
    public struct Layer {
        public let weight, bias, gamma, beta, runningMean, runningVariance: String
        public init(_ index: Int) {
            let prefix = "layers.\(index)"
            weight = "\(prefix).weight"
            bias = "\(prefix).bias"
            gamma = "\(prefix).batch_norm.weight"
            beta = "\(prefix).batch_norm.bias"
            runningMean = "\(prefix).batch_norm.running_mean"
            runningVariance = "\(prefix).batch_norm.running_var"
        }
    }

    /// The values' little-endian bytes (both formats store raw little-endian data).
    static func littleEndian(_ values: [Float]) -> Data {
        #if _endian(little)
        return values.withUnsafeBytes { Data($0) }
        #else
        return Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #endif
    }

    static func littleEndian(_ values: [Double]) -> Data {
        #if _endian(little)
        return values.withUnsafeBytes { Data($0) }
        #else
        return Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #endif
    }
}
