import Foundation

/// The real datasets `scripts/sklearn-datasets` writes (scripts/test runs it first): digits,
/// breast cancer, wine, iris and diabetes as CSV, .npy and .npz, in `$HYPERGRID_SKLEARN_DATA`
/// (default `~/.cache/hypergrid/sklearn-data`).
enum SklearnData {
    static var directory: String {
        let env = ProcessInfo.processInfo.environment["HYPERGRID_SKLEARN_DATA"] ?? ""
        return env.isEmpty ? NSHomeDirectory() + "/.cache/hypergrid/sklearn-data" : env
    }
    static func path(_ name: String) -> String { directory + "/" + name }
    static var available: Bool { FileManager.default.fileExists(atPath: path("VERSION")) }
}
