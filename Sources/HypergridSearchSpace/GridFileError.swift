/// A grid file that cannot be used, with the place to fix it.
///
/// Its description is one sentence a user can act on, e.g.
/// `grid.yaml:12: training.learning_rate: must be a positive number, got 'fast'`.
public struct GridFileError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line of the offending node, when known.
    public var line: Int?
    /// Dotted key path, e.g. `training.learning_rate`; empty for the whole file.
    public var key: String
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}
