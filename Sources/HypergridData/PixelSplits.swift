import Foundation

/// A value a stored 8-bit pixel can be decoded into: float32 for training, or the byte itself.
public protocol PixelValue {
    init(pixel: UInt8)
}

extension Float: PixelValue {
    @inline(__always) public init(pixel: UInt8) { self.init(pixel) }
}

extension UInt8: PixelValue {
    @inline(__always) public init(pixel: UInt8) { self = pixel }
}

/// `rows` rows of `columns` raw 8-bit pixels (row-major, as ``LabeledMatrix`` orders its
/// features) with a class label per row: a quarter of the float32 copy's memory.
public struct PixelMatrix: Sendable {
    public let rows: Int
    public let columns: Int
    /// Row `i` is `pixels[i * columns ..< (i + 1) * columns]`.
    public let pixels: [UInt8]
    public let labels: [Int32]

    public init(rows: Int, columns: Int, pixels: [UInt8], labels: [Int32]) {
        precondition(pixels.count == rows * columns, "pixels must be rows × columns")
        precondition(labels.count == rows, "one label per row")
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.labels = labels
    }
}

/// The raw splits of an 8-bit image dataset, before any preprocessing: what
/// ``DatasetRequest/loadRawSplits()`` returns, with bytes where it has float32 values.
public struct PixelSplits: Sendable {
    public var name: String
    public var classCount: Int
    public var train: PixelMatrix
    public var validation: PixelMatrix
    public var test: PixelMatrix
    public var imageLayout: ImageLayout?
}

extension DatasetRequest {
    /// The raw splits as the 8-bit pixels the files store, for preprocessing that must not
    /// hold a float32 copy of the whole dataset (CIFAR-10's is 737 MB, its bytes 184 MB);
    /// `nil` for datasets whose files do not hold 8-bit pixels in the row order that
    /// ``loadRawSplits()`` produces. Row `i` of each split is row `i` of ``loadRawSplits()``'s,
    /// with `Float(byte)` its values.
    public func loadRawPixelSplits() throws -> PixelSplits? {
        try validateParameters()
        guard let dir = resolvedDirectory, kind == .cifar10 else { return nil }
        return try CIFAR10.loadPixels(self, directory: dir)
    }
}

extension CIFAR10 {
    /// ``load(_:directory:)`` with bytes: the same rows of the same files in the same order.
    static func loadPixels(_ request: DatasetRequest, directory: URL) throws -> PixelSplits {
        let sizes = try splitSizes(request, directory: directory)
        // Training rows, then validation rows, from the training batches in order.
        let wanted = sizes.train + sizes.validation
        var train = [UInt8](repeating: 0, count: sizes.train * features)
        var validation = [UInt8](repeating: 0, count: sizes.validation * features)
        var labels: [Int32] = []
        labels.reserveCapacity(wanted)
        try train.withUnsafeMutableBufferPointer { trainOut in
            try validation.withUnsafeMutableBufferPointer { validationOut in
                for url in try sourceFiles(directory: directory, wantsTest: false) where labels.count < wanted {
                    let bytes = try FileReading.readAll(url)
                    _ = try recordCount(size: bytes.count, url: url)
                    try decode(bytes, url: url) { (_, label) -> UnsafeMutablePointer<UInt8>? in
                        let row = labels.count
                        guard row < wanted else { return nil }
                        labels.append(label)
                        return row < sizes.train ? trainOut.baseAddress! + row * features
                            : validationOut.baseAddress! + (row - sizes.train) * features
                    }
                }
            }
        }
        var test = [UInt8](repeating: 0, count: sizes.test * features)
        var testLabels: [Int32] = []
        if sizes.test > 0 {
            let url = directory.appendingPathComponent(testFileName)
            let bytes = try FileReading.readAll(url)
            _ = try recordCount(size: bytes.count, url: url)
            try test.withUnsafeMutableBufferPointer { out in
                try decode(bytes, url: url) { (index, label) -> UnsafeMutablePointer<UInt8>? in
                    guard index < sizes.test else { return nil }
                    testLabels.append(label)
                    return out.baseAddress! + index * features
                }
            }
        }
        return PixelSplits(
            name: request.kind.rawValue, classCount: classCount,
            train: PixelMatrix(rows: sizes.train, columns: features, pixels: train, labels: Array(labels[..<sizes.train])),
            validation: PixelMatrix(rows: sizes.validation, columns: features, pixels: validation,
                                    labels: Array(labels[sizes.train...])),
            test: PixelMatrix(rows: sizes.test, columns: features, pixels: test, labels: testLabels),
            imageLayout: ImageLayout(height: 32, width: 32, channels: 3))
    }
}
