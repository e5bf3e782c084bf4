import Foundation
import HypergridData
import HypergridKernel
import HypergridModel
import HypergridPreprocessing
import Testing

/// A small model with every part: a table schema, standardisation, PCA and BatchNorm.
func sampleModel(batchNorm: Bool = true, pca: Bool = true, regression: Bool = false, seed: UInt64 = 7) -> TrainedModel {
    let schema = InputSchema(
        columns: [.init(name: "size", encoding: .numeric(imputeValue: 1.5)),
                  .init(name: "colour", encoding: .categorical(vocabulary: ["blue", "red"], imputeCategory: "red")),
                  .init(name: "age", encoding: .numeric(imputeValue: 30))],
        labelColumns: ["kind"],
        target: regression ? .regression(names: ["price"], mean: [100], deviation: [20])
                           : .classes(names: ["large", "medium", "small"]))
    let d = schema.featureCount
    let standardizer = Standardizer(mean: [1.5, 0.4, 0.6, 30], scale: [2, 0.5, 0.5, 10])
    var rng = Philox4x32(seed: seed, stream: 1)
    var basis = [Float](repeating: 0, count: 3 * d)
    basis.withUnsafeMutableBufferPointer { rng.fillGaussian($0.baseAddress!, count: $0.count, std: 0.5) }
    let projection = pca ? PCAProjection(features: d, components: 3, basis: basis, retainedVariance: 0.9) : nil
    let shape = MLPShape(inputWidth: pca ? 3 : d, hidden: [5, 4], classCount: regression ? 1 : 3, batchNorm: batchNorm)
    let net = MLP(shape: shape, maxBatch: 8)
    net.initialize(.he, seed: seed)
    var state = net.exportState()
    // Non-trivial γ, β and running statistics (a fresh network has 1, 0, 0 and 1).
    for i in state.indices { state[i] += Float(i % 7) * 0.01 }
    return TrainedModel(trialID: String(repeating: "ab", count: 32), configJSON: #"{"hidden":[5,4]}"#,
                        numerics: "hg-numerics-2", datasetName: "table.csv", datasetFingerprint: "f00d",
                        validationMetric: 0.75, testMetric: nil, schema: schema, standardizer: standardizer,
                        projection: projection, shape: shape, weights: state)
}

struct TrainedModelFileTests {
    @Test func roundTripsEveryField() throws {
        for (bn, pca, regression) in [(true, true, false), (false, false, false), (true, false, true)] {
            let model = sampleModel(batchNorm: bn, pca: pca, regression: regression)
            #expect(model.inconsistency == nil)
            let decoded = try TrainedModel(decoding: model.encoded(), name: "m.hgmodel")
            #expect(decoded == model)
        }
    }

    @Test func aFlippedByteIsCaughtByTheChecksum() {
        var bytes = sampleModel().encoded()
        bytes[bytes.count / 2] ^= 0x10
        #expect(throws: ModelFileError("m.hgmodel is damaged or truncated: its CRC-32 does not match its contents.")) {
            try TrainedModel(decoding: bytes, name: "m.hgmodel")
        }
    }

    @Test func aTruncatedFileIsRefused() {
        let bytes = Array(sampleModel().encoded().dropLast(100))
        #expect(throws: ModelFileError.self) { try TrainedModel(decoding: bytes, name: "m.hgmodel") }
        #expect(throws: ModelFileError("m.hgmodel is not a hypergrid model file (it does not start with HGMD).")) {
            try TrainedModel(decoding: Array(bytes.prefix(3)), name: "m.hgmodel")
        }
    }

    @Test func aNewerFormatIsRefusedByVersionNotByChecksum() {
        var bytes = sampleModel().encoded()
        bytes[4] = UInt8(TrainedModel.formatVersion + 1)
        #expect(throws: ModelFileError("m.hgmodel is model format \(TrainedModel.formatVersion + 1), written by a newer hypergrid; this build reads format \(TrainedModel.formatVersion) and earlier.")) {
            try TrainedModel(decoding: bytes, name: "m.hgmodel")
        }
    }

    @Test func partsThatDoNotFitAreRefusedBeforeTheKernelSeesThem() {
        var model = sampleModel()
        model.weights.removeLast()
        // A well-sealed file whose weights do not fit its architecture.
        #expect(throws: ModelFileError("m.hgmodel is not a usable model: it holds \(model.weights.count) weights where its architecture needs \(model.weights.count + 1).")) {
            try TrainedModel(decoding: model.encoded(), name: "m.hgmodel")
        }
    }

    @Test func layersSliceTheStateInTheKernelsOrder() {
        let model = sampleModel()
        let layers = model.layers
        #expect(layers.map(\.inputs) == [3, 5, 4] && layers.map(\.outputs) == [5, 4, 3])
        #expect(layers[0].bias == nil && layers[0].batchNorm != nil && layers[2].bias != nil && layers[2].isOutput)
        // Every float is in exactly one tensor.
        let total = layers.reduce(0) { sum, l in
            sum + l.weight.count + (l.bias?.count ?? 0) + (l.batchNorm.map { 4 * $0.gamma.count } ?? 0)
        }
        #expect(total == model.weights.count)
        let net = MLP(shape: model.shape, maxBatch: 1)
        net.restoreState(model.weights)
        let stats = net.runningStatistics(layer: 1)!
        #expect(Array(UnsafeBufferPointer(start: stats.variance, count: 4)) == layers[1].batchNorm!.runningVariance)
        #expect(Array(UnsafeBufferPointer(start: net.parameters[0].value, count: 15)) == layers[0].weight)
    }
}

struct ModelPredictorTests {
    /// The predictor equals the pieces it is made of: Standardizer.apply, X·basisᵀ, the MLP's
    /// inference scores, and a softmax, at every chunk size.
    @Test func equalsStandardizeProjectAndInferenceScores() throws {
        let model = sampleModel()
        let rows = 37, d = model.featureCount
        var rng = Philox4x32(seed: 3, stream: 2)
        var x = [Float](repeating: 0, count: rows * d)
        x.withUnsafeMutableBufferPointer { rng.fillGaussian($0.baseAddress!, count: $0.count, std: 3) }

        let matrix = LabeledMatrix(rows: rows, columns: d, values: x, labels: .init(repeating: 0, count: rows))
        model.standardizer.apply(inPlace: matrix)
        let p = model.projection!
        var projected = [Float](repeating: 0, count: rows * p.components)
        for r in 0..<rows {
            for k in 0..<p.components {
                var s: Float = 0
                for j in 0..<d { s = s + matrix.row(r)[j] * p.basis[k * d + j] }
                projected[r * p.components + k] = s
            }
        }
        let net = MLP(shape: model.shape, maxBatch: rows)
        net.restoreState(model.weights)
        let scores = Array(UnsafeBufferPointer(start: projected.withUnsafeBufferPointer { net.inferenceScores(x: $0.baseAddress!, rows: rows) },
                                               count: rows * 3))
        for batch in [1, 5, 64] {
            let predictor = ModelPredictor(model: model, batchRows: batch)
            var out = [Float](repeating: 0, count: rows * 3)
            var classes = [Int32](repeating: -1, count: rows)
            x.withUnsafeBufferPointer { xs in
                predictor.predict(features: xs.baseAddress!, rows: rows, outputs: &out, classes: &classes)
            }
            for r in 0..<rows {
                let s = scores[(r * 3)..<(r * 3 + 3)].map(Double.init)
                let e = s.map { Foundation.exp($0 - s.max()!) }
                for j in 0..<3 { #expect(abs(Double(out[r * 3 + j]) - e[j] / e.reduce(0, +)) < 1e-5) }
                #expect(Int(classes[r]) == s.firstIndex(of: s.max()!)!)
            }
        }
    }

    @Test func regressionOutputsAreInTheTargetsUnits() {
        let model = sampleModel(regression: true)
        let d = model.featureCount
        let x = [Float](repeating: 0.5, count: 2 * d)
        var out = [Float](repeating: 0, count: 2)
        ModelPredictor(model: model).predict(features: x, rows: 2, outputs: &out)
        let projected = model.projection!
        let standardized = (0..<d).map { j in Float((0.5 - model.standardizer.mean[j]) / model.standardizer.scale[j]) }
        let z = (0..<projected.components).map { k in (0..<d).reduce(Float(0)) { $0 + standardized[$1] * projected.basis[k * d + $1] } }
        let net = MLP(shape: model.shape, maxBatch: 1)
        net.restoreState(model.weights)
        let score = z.withUnsafeBufferPointer { net.inferenceScores(x: $0.baseAddress!, rows: 1)[0] }
        #expect(abs(Double(out[0]) - (Double(score) * 20 + 100)) < 1e-3)
        #expect(out[0] == out[1])
    }
}
