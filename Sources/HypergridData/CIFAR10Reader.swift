import Foundation

/// Reader for the binary version of CIFAR-10.
///
/// Each file is a sequence of 3,073-byte records: one label byte (0–9), then the 1,024 red,
/// 1,024 green and 1,024 blue bytes of a 32×32 image, each plane row-major. Rows come out as
/// 3,072 float32 pixel values 0–255 in height × width × channel order (`(y·32 + x)·3 + c`),
/// the order of the reference loader (`cifar_data.py`, after its transpose), so that feature
/// indices and hence weights mean the same thing in both.
public enum CIFAR10 {
    /// Bytes per record: 1 label + 3,072 pixels.
    public static let recordBytes = 3_073
    /// Features per row.
    public static let features = 3_072
    public static let classCount = 10
    /// The training files, read in this order (training row `i` of the dataset is row
    /// `i mod n` of file `i / n` when every file holds `n` records).
    public static let trainingFileNames = (1...5).map { "data_batch_\($0).bin" }
    public static let testFileName = "test_batch.bin"

    /// The number of records in a batch file, from its size; throws `truncatedFile` when the
    /// size is not a whole number of records.
    public static func recordCount(of url: URL) throws -> Int {
        let size = try FileReading.size(of: url)
        return try recordCount(size: size, url: url)
    }

    static func recordCount(size: Int, url: URL) throws -> Int {
        if size == 0 {
            throw DatasetError(.truncatedFile, "CIFAR-10 file \(url.path) is empty.")
        }
        if size % recordBytes != 0 {
            throw DatasetError(.truncatedFile, "CIFAR-10 file \(url.path) is truncated at record \(grouped(size / recordBytes)): its \(grouped(size)) bytes are not a whole number of \(grouped(recordBytes))-byte records.")
        }
        return size / recordBytes
    }

    /// Reads one batch file into a matrix of raw pixel values (0–255) and labels.
    public static func readBatch(_ url: URL) throws -> LabeledMatrix {
        let bytes = try FileReading.readAll(url)
        let count = try recordCount(size: bytes.count, url: url)
        let storage = FloatStorage(zeroedCount: count * features)
        var labels = [Int32]()
        labels.reserveCapacity(count)
        try decode(bytes, url: url) { index, label in
            labels.append(label)
            return storage.base + index * features
        }
        return LabeledMatrix(rows: count, columns: features, features: storage, labels: labels)
    }

    /// Decodes every record of `bytes` (a whole file): checks its label, asks `sink` where its
    /// pixels go (`nil` to skip the record) and stores them there as `Pixel` (float32 for
    /// training, the bytes themselves for ``loadPixels(_:directory:)``).
    static func decode<Pixel: PixelValue>(_ bytes: [UInt8], url: URL,
                                          sink: (_ index: Int, _ label: Int32) throws -> UnsafeMutablePointer<Pixel>?) throws {
        let count = bytes.count / recordBytes
        try bytes.withUnsafeBufferPointer { buf in
            for r in 0..<count {
                let record = buf.baseAddress! + r * recordBytes
                let label = record[0]
                guard Int(label) < classCount else {
                    throw DatasetError(.labelOutOfRange, "CIFAR-10 file \(url.path) has label \(label) at record \(grouped(r)), outside 0–9.")
                }
                guard let out = try sink(r, Int32(label)) else { continue }
                let planes = record + 1
                // Planes (c, y, x) → interleaved (y, x, c), as the reference loader's transpose.
                for p in 0..<1_024 {
                    out[3 * p] = Pixel(pixel: planes[p])
                    out[3 * p + 1] = Pixel(pixel: planes[1_024 + p])
                    out[3 * p + 2] = Pixel(pixel: planes[2_048 + p])
                }
            }
        }
    }

    /// The files a request reads: the five training batches, plus the test batch when the
    /// test split is not empty. Checks that the directory and each file exist.
    static func sourceFiles(directory: URL, wantsTest: Bool) throws -> [URL] {
        try FileReading.requireDirectory(directory, dataset: "CIFAR-10")
        var files = trainingFileNames.map { directory.appendingPathComponent($0) }
        for f in files { try FileReading.requireFile(f, dataset: "CIFAR-10") }
        if wantsTest {
            let test = directory.appendingPathComponent(testFileName)
            try FileReading.requireFile(test, dataset: "CIFAR-10",
                                        hint: " (set testRows to 0 to run without a test split)")
            files.append(test)
        }
        return files
    }

    /// Split sizes for a request, from the files' sizes alone (no pixel is read).
    static func splitSizes(_ request: DatasetRequest, directory: URL) throws -> SplitSizes {
        try request.validateParameters()
        let training = try sourceFiles(directory: directory, wantsTest: false)
        let available = try training.reduce(0) { $0 + (try recordCount(of: $1)) }
        var availableTest = 0
        if request.testRows != 0 {
            let test = try sourceFiles(directory: directory, wantsTest: true).last!
            availableTest = try recordCount(of: test)
        }
        return try request.splitSizes(availableTraining: available, availableTest: availableTest)
    }

    /// Loads the raw splits of a request: training rows, then validation rows, from the
    /// training batches in order; test rows from the start of the test batch.
    static func load(_ request: DatasetRequest, directory: URL) throws -> DatasetSplits {
        let sizes = try splitSizes(request, directory: directory)
        var assembler = TrainValidationAssembler(sizes: sizes, columns: features)
        for url in try sourceFiles(directory: directory, wantsTest: false) {
            if assembler.isComplete { break }
            let bytes = try FileReading.readAll(url)
            _ = try recordCount(size: bytes.count, url: url)
            try decode(bytes, url: url) { (_, label) -> UnsafeMutablePointer<Float>? in
                // Labels are committed before the pixels are written, which is fine: the
                // destination pointer is fixed before `commit` advances the row.
                let out = assembler.destination()
                if out != nil { assembler.commit(label: label) }
                return out
            }
        }
        let (train, validation) = assembler.matrices()
        let testStorage = FloatStorage(zeroedCount: sizes.test * features)
        var testLabels = [Int32]()
        if sizes.test > 0 {
            let url = directory.appendingPathComponent(testFileName)
            let bytes = try FileReading.readAll(url)
            _ = try recordCount(size: bytes.count, url: url)
            try decode(bytes, url: url) { (index, label) -> UnsafeMutablePointer<Float>? in
                guard index < sizes.test else { return nil }
                testLabels.append(label)
                return testStorage.base + index * features
            }
        }
        let test = LabeledMatrix(rows: sizes.test, columns: features, features: testStorage, labels: testLabels)
        return DatasetSplits(name: request.kind.rawValue, classCount: classCount,
                             train: train, validation: validation, test: test,
                             imageLayout: ImageLayout(height: 32, width: 32, channels: 3))
    }
}
