import Foundation

/// MNIST and Fashion-MNIST: four IDX files, each plain or `.gz`, rows as float32 pixel values
/// 0–255 in the files' row-major order.
enum IDXDataset {
    static let trainImages = "train-images-idx3-ubyte"
    static let trainLabels = "train-labels-idx1-ubyte"
    static let testImages = "t10k-images-idx3-ubyte"
    static let testLabels = "t10k-labels-idx1-ubyte"

    /// `stem.gz` if present, else `stem`; `missingFile` when neither is.
    static func resolve(_ stem: String, in directory: URL, dataset: String, hint: String = "") throws -> URL {
        for name in [stem + ".gz", stem] {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DatasetError(.missingFile, "The \(dataset) file \(stem).gz (or \(stem)) is missing from \(directory.path)\(hint).")
    }

    /// Training images and labels, then test images and labels when the test split is not empty.
    static func sourceFiles(_ request: DatasetRequest, directory: URL) throws -> [URL] {
        let name = request.kind.rawValue
        try FileReading.requireDirectory(directory, dataset: name)
        var files = try [trainImages, trainLabels].map { try resolve($0, in: directory, dataset: name) }
        if request.testRows != 0 {
            let hint = " (set testRows to 0 to run without a test split)"
            files += try [testImages, testLabels].map { try resolve($0, in: directory, dataset: name, hint: hint) }
        }
        return files
    }

    /// Split sizes from the counts the image headers declare (only the headers are read).
    static func splitSizes(_ request: DatasetRequest, directory: URL) throws -> SplitSizes {
        try request.validateParameters()
        let files = try sourceFiles(request, directory: directory)
        let available = try IDX.declaredCount(files[0], magic: IDX.imagesMagic)
        let availableTest = files.count > 2 ? try IDX.declaredCount(files[2], magic: IDX.imagesMagic) : 0
        return try request.splitSizes(availableTraining: available, availableTest: availableTest)
    }

    /// Opens an images file (reading its header) and reads its labels file, checking they
    /// agree before any pixel is read.
    private static func openPair(images imagesURL: URL, labels labelsURL: URL,
                                 classCount: Int) throws -> (IDX.ImageFile, [Int32]) {
        let images = try IDX.ImageFile(imagesURL)
        let labels = try IDX.readLabels(labelsURL, classCount: classCount)
        guard labels.count == images.count else {
            throw DatasetError(.corruptFile, "IDX file \(labelsURL.path) has \(grouped(labels.count)) labels but \(imagesURL.lastPathComponent) has \(grouped(images.count)) images.")
        }
        return (images, labels)
    }

    /// Loads the splits of a request. Pixels are inflated straight into a small buffer and
    /// converted into the split arrays from there.
    static func load(_ request: DatasetRequest, directory: URL) throws -> DatasetSplits {
        let sizes = try splitSizes(request, directory: directory)
        let files = try sourceFiles(request, directory: directory)
        let classCount = request.classCount
        let (images, labels) = try openPair(images: files[0], labels: files[1], classCount: classCount)
        let columns = images.rowBytes
        guard images.count >= sizes.train + sizes.validation else {
            // The sizes come from this header; only a file changing under us gets here.
            throw DatasetError(.corruptFile, "IDX file \(files[0].path) changed while being read.")
        }
        var assembler = TrainValidationAssembler(sizes: sizes, columns: columns)
        try images.readRows { row in
            guard let out = assembler.destination() else { return nil }
            // The destination is fixed before `commit` advances to the next row.
            assembler.commit(label: labels[row])
            return out
        }
        let (train, validation) = assembler.matrices()

        let testStorage = FloatStorage(zeroedCount: sizes.test * columns)
        var testLabels = [Int32]()
        if sizes.test > 0 {
            let (testImages, allTestLabels) = try openPair(images: files[2], labels: files[3], classCount: classCount)
            guard testImages.rowBytes == columns else {
                throw DatasetError(.corruptFile, "IDX file \(files[2].path) has \(testImages.height)×\(testImages.width) images but the training images are \(images.height)×\(images.width).")
            }
            guard testImages.count >= sizes.test else {
                throw DatasetError(.corruptFile, "IDX file \(files[2].path) changed while being read.")
            }
            try testImages.readRows { row in row < sizes.test ? testStorage.base + row * columns : nil }
            testLabels = Array(allTestLabels[0..<sizes.test])
        }
        let test = LabeledMatrix(rows: sizes.test, columns: columns, features: testStorage, labels: testLabels)
        return DatasetSplits(name: request.kind.rawValue, classCount: classCount,
                             train: train, validation: validation, test: test,
                             imageLayout: ImageLayout(height: images.height, width: images.width, channels: 1))
    }
}
