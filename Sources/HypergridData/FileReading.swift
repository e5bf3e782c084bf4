import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX helpers shared by the readers, turning every failure into a one-sentence
/// ``DatasetError`` that names the file.
enum FileReading {
    /// Throws `missingDirectory` unless `url` is an existing directory.
    static func requireDirectory(_ url: URL, dataset: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetError(.missingDirectory, "The \(dataset) directory \(url.path) does not exist or is not a directory.")
        }
    }

    /// Throws `missingFile` unless `url` is an existing regular file.
    static func requireFile(_ url: URL, dataset: String, hint: String = "") throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else {
            throw DatasetError(.missingFile, "The \(dataset) file \(url.lastPathComponent) is missing from \(url.deletingLastPathComponent().path)\(hint).")
        }
    }

    /// The size in bytes of a file, via `stat`.
    static func size(of url: URL) throws -> Int {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(String(cString: strerror(errno))).")
        }
        return Int(st.st_size)
    }

    /// Reads a whole file. Reading with `read(2)` into an array avoids Foundation's `Data`
    /// bridging copies for the 30–50 MB dataset files.
    static func readAll(_ url: URL) throws -> [UInt8] {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw DatasetError(.unreadableFile, "Cannot open \(url.path): \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(String(cString: strerror(errno))).")
        }
        let size = Int(st.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        try bytes.withUnsafeMutableBytes { buf in
            while done < size {
                let n = read(fd, buf.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw DatasetError(.unreadableFile, "Cannot read \(url.path): \(n == 0 ? "it shrank while being read" : String(cString: strerror(errno))).")
                }
                done += n
            }
        }
        return bytes
    }
}

/// Fills preallocated train and validation storage from a stream of training-file rows:
/// the first `sizes.train` rows go to train, the next `sizes.validation` to validation,
/// and the rest are skipped.
struct TrainValidationAssembler {
    let sizes: SplitSizes
    let columns: Int
    let train: FloatStorage
    let validation: FloatStorage
    var trainLabels: [Int32] = []
    var validationLabels: [Int32] = []
    /// Index of the next training-file row.
    private(set) var next = 0

    init(sizes: SplitSizes, columns: Int) {
        self.sizes = sizes
        self.columns = columns
        train = FloatStorage(zeroedCount: sizes.train * columns)
        validation = FloatStorage(zeroedCount: sizes.validation * columns)
        trainLabels.reserveCapacity(sizes.train)
        validationLabels.reserveCapacity(sizes.validation)
    }

    /// True once both splits are full.
    var isComplete: Bool { next >= sizes.train + sizes.validation }

    /// Where the next row's features go, or `nil` when it is not used; call ``commit(label:)`` after filling it.
    func destination() -> UnsafeMutablePointer<Float>? {
        if next < sizes.train { return train.base + next * columns }
        if next < sizes.train + sizes.validation { return validation.base + (next - sizes.train) * columns }
        return nil
    }

    mutating func commit(label: Int32) {
        if next < sizes.train { trainLabels.append(label) }
        else if next < sizes.train + sizes.validation { validationLabels.append(label) }
        next += 1
    }

    func matrices() -> (train: LabeledMatrix, validation: LabeledMatrix) {
        (LabeledMatrix(rows: sizes.train, columns: columns, features: train, labels: trainLabels),
         LabeledMatrix(rows: sizes.validation, columns: columns, features: validation, labels: validationLabels))
    }
}
