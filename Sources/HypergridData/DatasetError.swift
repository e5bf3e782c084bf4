/// A problem with a dataset, its files, its request or its cache that the user can fix.
///
/// `description` is one sentence naming the file or field at fault, ready to show as is.
/// `code` lets callers and tests tell the cases apart without parsing text.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kind of problem.
    public enum Code: String, Sendable, Equatable {
        /// The dataset directory does not exist.
        case missingDirectory
        /// A file the dataset needs is not in its directory.
        case missingFile
        /// A file ends before its last record (or before its header).
        case truncatedFile
        /// An IDX file does not start with the expected magic number.
        case wrongMagic
        /// A label is not a valid class index.
        case labelOutOfRange
        /// The contents of a file are inconsistent (e.g. image and label counts differ, bad gzip).
        case corruptFile
        /// A request field is outside its allowed range (e.g. a PCA fraction outside (0, 1]).
        case invalidParameter
        /// The requested split sizes need more rows than the dataset has.
        case notEnoughRows
        /// The cache directory cannot be created, read or written.
        case unusableCacheDirectory
        /// A file could not be read or written for another reason (permissions, I/O error).
        case unreadableFile
        /// A cache file was written by another format version or for another dataset.
        case staleCache
        /// A cache file fails its checks (bad checksum, truncated, inconsistent layout).
        case corruptCache
        /// A numerical step failed (e.g. LAPACK did not converge, or the data has no variance).
        case numericalFailure
    }

    public let code: Code
    /// One sentence naming the file or field and what is wrong with it.
    public let description: String

    /// An error of kind `code`; `description` must be one sentence naming the file or field.
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// Formats a count with thousands separators (`49000` → `49,000`) for error messages.
package func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}
