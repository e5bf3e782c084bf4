import Foundation
import Testing
@testable import HypergridData

@Suite struct CIFARReaderTests {
    @Test func roundTripHWCOrderAndSplits() throws {
        let dir = TempDir()
        let (train, test) = try writeCIFAR(in: dir.url, perFile: 4, testCount: 5)
        let batch = try CIFAR10.readBatch(dir.file("data_batch_2.bin"))
        #expect(batch.rows == 4 && batch.columns == 3072)
        #expect(batch.labels == train[4..<8].map { Int32($0.label) })
        #expect(values(batch) == train[4..<8].flatMap { $0.expectedRow })

        // 20 training records: rows 0..<15 train, 15..<18 validation; 3 test rows.
        let req = DatasetRequest(kind: .cifar10, directory: dir.url.path, trainRows: 15, validationRows: 3, testRows: 3)
        #expect(try req.resolveSplitSizes() == SplitSizes(train: 15, validation: 3, test: 3))
        let s = try req.loadRawSplits()
        #expect(s.classCount == 10 && s.name == "cifar10")
        #expect(values(s.train) == train[0..<15].flatMap { $0.expectedRow })
        #expect(values(s.validation) == train[15..<18].flatMap { $0.expectedRow })
        #expect(s.validation.labels == train[15..<18].map { Int32($0.label) })
        #expect(values(s.test) == test[0..<3].flatMap { $0.expectedRow })
        #expect(s.test.labels == test[0..<3].map { Int32($0.label) })
    }

    @Test func defaultTrainRowsAreEverythingButValidation() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 3, testCount: 2)
        let req = DatasetRequest(kind: .cifar10, directory: dir.url.path, validationRows: 5, testRows: 2)
        #expect(try req.resolveSplitSizes() == SplitSizes(train: 10, validation: 5, test: 2))
    }

    @Test func testFileMayBeAbsentWithoutTestSplit() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 3, testCount: nil)
        let ok = DatasetRequest(kind: .cifar10, directory: dir.url.path, trainRows: 10, validationRows: 2, testRows: 0)
        let s = try ok.loadRawSplits()
        #expect(s.test.rows == 0 && s.train.rows == 10)
        #expect(try ok.sourceFiles().map(\.lastPathComponent) == CIFAR10.trainingFileNames)
        let missing = datasetError { _ = try DatasetRequest(kind: .cifar10, directory: dir.url.path, trainRows: 10, validationRows: 2, testRows: 1).loadRawSplits() }
        #expect(missing?.code == .missingFile)
        #expect(missing?.description.contains("test_batch.bin") == true)
        #expect(missing?.description.contains("testRows to 0") == true)
    }

    @Test func missingDirectoryAndFile() throws {
        let dir = TempDir()
        let gone = DatasetRequest(kind: .cifar10, directory: dir.file("nowhere").path, trainRows: 1, validationRows: 1, testRows: 0)
        let e1 = datasetError { _ = try gone.loadRawSplits() }
        #expect(e1?.code == .missingDirectory)
        #expect(e1?.description.contains("nowhere") == true)
        try writeCIFAR(in: dir.url, perFile: 2, testCount: 2)
        try FileManager.default.removeItem(at: dir.file("data_batch_4.bin"))
        let e2 = datasetError { _ = try DatasetRequest(kind: .cifar10, directory: dir.url.path, trainRows: 1, validationRows: 1, testRows: 1).loadRawSplits() }
        #expect(e2?.code == .missingFile)
        #expect(e2?.description.contains("data_batch_4.bin") == true)
    }

    @Test func truncatedFileNamesFileAndRecord() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 4, testCount: 2)
        let url = dir.file("data_batch_3.bin")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(3 * CIFAR10.recordBytes + 100).write(to: url)
        let e = datasetError { _ = try DatasetRequest(kind: .cifar10, directory: dir.url.path, trainRows: 5, validationRows: 1, testRows: 1).loadRawSplits() }
        #expect(e?.code == .truncatedFile)
        #expect(e?.description.contains("data_batch_3.bin") == true)
        #expect(e?.description.contains("record 3") == true)
    }

    @Test func labelOutOfRange() throws {
        let dir = TempDir()
        try writeCIFAR(in: dir.url, perFile: 4, testCount: 2)
        let url = dir.file("data_batch_1.bin")
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[2 * CIFAR10.recordBytes] = 12
        try Data(bytes).write(to: url)
        let e = datasetError { _ = try CIFAR10.readBatch(url) }
        #expect(e?.code == .labelOutOfRange)
        #expect(e?.description == "CIFAR-10 file \(url.path) has label 12 at record 2, outside 0–9.")
    }
}

@Suite struct IDXReaderTests {
    @Test(arguments: [false, true]) func roundTrip(gzipped: Bool) throws {
        let dir = TempDir()
        let (train, test) = try writeIDX(in: dir.url, trainCount: 30, testCount: 12, side: 3, gzipped: gzipped)
        for kind in [DatasetRequest.Kind.fashionMNIST, .mnist] {
            let req = DatasetRequest(kind: kind, directory: dir.url.path, validationRows: 6)
            #expect(try req.resolveSplitSizes() == SplitSizes(train: 24, validation: 6, test: 12))
            let s = try req.loadRawSplits()
            #expect(s.name == kind.rawValue && s.train.columns == 9)
            #expect(values(s.train) == train[0..<(24 * 9)].map(Float.init))
            #expect(values(s.validation) == train[(24 * 9)...].map(Float.init))
            #expect(values(s.test) == test.map(Float.init))
            #expect(s.validation.labels == (24..<30).map { Int32($0 % 10) })
            #expect(s.test.labels == (0..<12).map { Int32($0 % 10) })
        }
    }

    @Test func defaultSplitIsLastFiveThousandAsValidationAndWholeTestSet() throws {
        let dir = TempDir()
        try writeIDX(in: dir.url, trainCount: 5_010, testCount: 7, side: 1, gzipped: true)
        let req = DatasetRequest(kind: .mnist, directory: dir.url.path)
        #expect(try req.resolveSplitSizes() == SplitSizes(train: 10, validation: 5_000, test: 7))
    }

    @Test func wrongMagic() throws {
        let dir = TempDir()
        try writeIDX(in: dir.url, trainCount: 4, testCount: 2, gzipped: false)
        // A labels file where the images should be.
        try FileManager.default.removeItem(at: dir.file("train-images-idx3-ubyte"))
        try FileManager.default.copyItem(at: dir.file("train-labels-idx1-ubyte"), to: dir.file("train-images-idx3-ubyte"))
        let e = datasetError { _ = try IDX.readImages(dir.file("train-images-idx3-ubyte")) }
        #expect(e?.code == .wrongMagic)
        #expect(e?.description.contains("train-images-idx3-ubyte has magic number 0x00000801, expected 0x00000803") == true)
    }

    @Test(arguments: [false, true]) func truncated(gzipped: Bool) throws {
        let dir = TempDir()
        try writeIDX(in: dir.url, trainCount: 10, testCount: 2, side: 4, gzipped: false)
        // 10 images of 16 bytes after a 16-byte header: cut in the middle of image 6.
        let plain = try Data(contentsOf: dir.file("train-images-idx3-ubyte")).prefix(16 + 6 * 16 + 5)
        let name = gzipped ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte"
        try FileManager.default.removeItem(at: dir.file("train-images-idx3-ubyte"))
        try Data(gzipped ? gzip([UInt8](plain)) : [UInt8](plain)).write(to: dir.file(name))
        let e = datasetError { _ = try DatasetRequest(kind: .mnist, directory: dir.url.path, validationRows: 2).loadRawSplits() }
        #expect(e?.code == .truncatedFile)
        #expect(e?.description.contains(name + " is truncated at image 6 of 10") == true)
    }

    @Test func truncatedGzipStream() throws {
        let dir = TempDir()
        try writeIDX(in: dir.url, trainCount: 10, testCount: 2, side: 4, gzipped: true)
        let url = dir.file("train-labels-idx1-ubyte.gz")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 6).write(to: url) // the CRC/length trailer is cut
        let e = datasetError { _ = try IDX.readLabels(url, classCount: 10) }
        #expect(e?.code == .truncatedFile)
        #expect(e?.description.contains("train-labels-idx1-ubyte.gz") == true)
    }

    @Test func corruptGzipIsReported() throws {
        let dir = TempDir()
        try writeIDX(in: dir.url, trainCount: 40, testCount: 2, side: 4, gzipped: true)
        let url = dir.file("train-images-idx3-ubyte.gz")
        var bytes = [UInt8](try Data(contentsOf: url))
        for i in 20..<30 { bytes[i] ^= 0x5a }
        try Data(bytes).write(to: url)
        let e = datasetError { _ = try IDX.readImages(url) }
        #expect(e?.code == .corruptFile || e?.code == .truncatedFile)
        #expect(e?.description.contains("train-images-idx3-ubyte.gz") == true)
    }

    @Test func gzipChecksumMismatchIsCorrupt() throws {
        let dir = TempDir()
        try writeIDX(in: dir.url, trainCount: 10, testCount: 2, side: 4, gzipped: true)
        let url = dir.file("train-labels-idx1-ubyte.gz")
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[bytes.count - 8] ^= 0xff // the member's CRC-32
        try Data(bytes).write(to: url)
        let e = datasetError { _ = try IDX.readLabels(url, classCount: 10) }
        #expect(e?.code == .corruptFile)
        #expect(e?.description == "Gzip file \(url.path) is corrupt (zlib: incorrect data check).")
    }

    @Test func labelOutOfRangeAndCountMismatch() throws {
        let dir = TempDir()
        let url = dir.file("labels")
        try Data(idxBytes(magic: 0x801, dims: [3], payload: [1, 10, 2])).write(to: url)
        let e = datasetError { _ = try IDX.readLabels(url, classCount: 10) }
        #expect(e?.code == .labelOutOfRange)
        #expect(e?.description == "IDX file \(url.path) has label 10 at record 1, outside 0–9.")

        try writeIDX(in: dir.url, trainCount: 6, testCount: 2, gzipped: false)
        try Data(idxBytes(magic: 0x801, dims: [5], payload: [0, 1, 2, 3, 4])).write(to: dir.file("train-labels-idx1-ubyte"))
        let m = datasetError { _ = try DatasetRequest(kind: .mnist, directory: dir.url.path, validationRows: 1).loadRawSplits() }
        #expect(m?.code == .corruptFile)
        #expect(m?.description.contains("5 labels but train-images-idx3-ubyte has 6 images") == true)
    }

    @Test func multiMemberGzipWithTrailingZerosIsReadWhole() throws {
        let dir = TempDir()
        let pixels = (0..<(7 * 9)).map { UInt8($0 * 3 % 256) }
        let bytes = idxBytes(magic: 0x803, dims: [7, 3, 3], payload: pixels)
        // Two members split mid-image, then zero padding (as some tools leave), like `gzip -d`.
        let url = dir.file("images.gz")
        try Data(gzip(Array(bytes[..<30])) + gzip(Array(bytes[30...])) + [0, 0, 0, 0]).write(to: url)
        let images = try IDX.readImages(url)
        #expect(images.count == 7 && images.height == 3 && images.width == 3)
        #expect(images.pixels == pixels)
        #expect(try IDX.declaredCount(url, magic: IDX.imagesMagic) == 7)
    }

    @Test func declaredCountReadsOnlyTheHeader() throws {
        let dir = TempDir()
        var rng = ByteStream(state: 3)
        // 1 MB of incompressible pixels, then keep only the first 64 KiB of the gzip file:
        // the header is readable, the pixels are not all there.
        let url = dir.file("images.gz")
        let full = gzip(idxBytes(magic: 0x803, dims: [1_000, 32, 32], payload: (0..<1_024_000).map { _ in rng.next() }))
        try Data(full.prefix(64 << 10)).write(to: url)
        #expect(try IDX.declaredCount(url, magic: IDX.imagesMagic) == 1_000)
        let e = datasetError { _ = try IDX.readImages(url) }
        #expect(e?.code == .truncatedFile)
        // About 64 of the 1,000 images fit in what is left.
        let at = e.flatMap { Int($0.description.split(separator: " ")[7]) } ?? -1
        #expect(e?.description == "IDX file \(url.path) is truncated at image \(at) of 1,000.")
        #expect((40..<64).contains(at))
    }

    @Test func headerClaimingMoreThanTheFileHoldsIsTruncationNotAnAllocation() throws {
        let dir = TempDir()
        let images = dir.file("images"), labels = dir.file("labels")
        try Data(idxBytes(magic: 0x803, dims: [0x7fff_ffff, 0xffff, 0xffff], payload: [1, 2, 3])).write(to: images)
        try Data(idxBytes(magic: 0x801, dims: [0xffff_ffff], payload: [1, 2, 3])).write(to: labels)
        let e = datasetError { _ = try IDX.readImages(images) }
        #expect(e?.code == .truncatedFile)
        #expect(e?.description == "IDX file \(images.path) is truncated at image 0 of 2,147,483,647.")
        let l = datasetError { _ = try IDX.readLabels(labels, classCount: 10) }
        #expect(l?.description == "IDX file \(labels.path) is truncated at label 3 of 4,294,967,295.")
    }

    @Test func missingAndShortFiles() throws {
        let dir = TempDir()
        let missing = datasetError { _ = try IDX.readImages(dir.file("nope")) }
        #expect(missing?.code == .unreadableFile)
        #expect(missing?.description.hasPrefix("Cannot open \(dir.file("nope").path):") == true)
        let short = dir.file("short")
        try Data([0, 0, 8, 3, 0, 0]).write(to: short)
        let e = datasetError { _ = try IDX.readImages(short) }
        #expect(e?.description == "IDX file \(short.path) is truncated in its header (6 bytes).")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: installedFashionMNIST + "/train-images-idx3-ubyte.gz"),
                   "needs Debian's dataset-fashion-mnist (scripts/install-deps.sh installs it)"))
    func realFashionMNISTHeadersWhenInstalled() throws {
        let dir = installedFashionMNIST
        let req = DatasetRequest(kind: .fashionMNIST)
        #expect(req.resolvedDirectory?.path == dir)
        #expect(try req.resolveSplitSizes() == SplitSizes(train: 55_000, validation: 5_000, test: 10_000))
    }
}

/// Where Debian's `dataset-fashion-mnist` installs the files.
let installedFashionMNIST = "/usr/share/datasets/fashion-mnist"
