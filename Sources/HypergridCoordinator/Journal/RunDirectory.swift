#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The directory that holds a run's journal and leaderboard.
public enum RunDirectory {
    /// Creates `path` (and its parents) if needed and checks that files can be written in it.
    ///
    /// Callers run this before slow preparation (a dataset's PCA can take a minute), so that
    /// an unusable directory is reported at once rather than after the work.
    /// - Throws: ``FileSystemError`` naming the path and the errno.
    public static func requireWritable(_ path: String) throws {
        try POSIX.makeDirectories(path)
        // mkdir reports EEXIST for a directory on a read-only mount; access(2) sees EROFS.
        guard access(path, W_OK | X_OK) == 0 else {
            throw FileSystemError(path: path, operation: "write in", errno: errno)
        }
    }
}
