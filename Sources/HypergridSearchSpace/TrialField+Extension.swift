/// How a trial field added after the hand-written ones joins grid files, the wire and the
/// `train` command through the field table alone (docs/architecture.md, "Adding a trial
/// field").
///
/// The fields of the first versions have hand-written grid parsing and wire layouts that
/// tests pin byte for byte; a field with an ``Extension`` needs none: the grid parser
/// reads its key as ``kind`` says, the grid varies it after every original axis (so a grid
/// that does not mention it keeps its point indices), the wire codec appends its value after
/// the original fields (protocol ``wireVersion`` and up), and `hypergrid train --set
/// KEY=VALUE` sets it. Its "off" value must be stored as nil so that trial ids of configs
/// without it stay as they were.
public struct TrialFieldExtension: Sendable {
    /// How grid files and `--set` spell a value.
    public enum Kind: Sendable {
        /// A number, inside the range rule's limits when there is one.
        case double(ConfigField?)
        /// A whole number, inside the range rule's limits when there is one.
        case int(ConfigField?)
        case bool
        /// One of these words.
        case choice([String])
    }

    /// The stored property of ``TrialConfig`` (the wire test checks that every property is
    /// either hand-encoded or one of these).
    public let propertyName: String
    public let kind: Kind
    /// The value of a config that does not set it (the grid's default).
    public let off: FieldValue
    /// A valid value other than ``off``, for the round-trip tests.
    public let example: FieldValue
    /// The protocol version that first carries it.
    public let wireVersion: UInt16
    let get: @Sendable (TrialConfig) -> FieldValue
    let set: @Sendable (inout TrialConfig, FieldValue) -> Void

    public init(propertyName: String, kind: Kind, off: FieldValue, example: FieldValue, wireVersion: UInt16,
                get: @escaping @Sendable (TrialConfig) -> FieldValue,
                set: @escaping @Sendable (inout TrialConfig, FieldValue) -> Void) {
        self.propertyName = propertyName
        self.kind = kind
        self.off = off
        self.example = example
        self.wireVersion = wireVersion
        self.get = get
        self.set = set
    }

    /// The field's value in `config` (``off`` when unset).
    public func value(of config: TrialConfig) -> FieldValue { get(config) }
    /// Sets the field in `config`; ``off`` stores nil.
    public func assign(_ value: FieldValue, to config: inout TrialConfig) { set(&config, value) }

    /// Parses `text` (a `--set` value or a grid scalar) as this field's value; the error is
    /// the part after the key, e.g. `must be a number, got 'x'`.
    public func parse(_ text: String) -> Result<FieldValue, FieldParseError> {
        switch kind {
        case .double(let range):
            guard let d = Double(text), d.isFinite else { return .failure(FieldParseError("must be a number, got '\(text)'")) }
            if let message = range?.problem(d) { return .failure(FieldParseError(message)) }
            return .success(.double(d))
        case .int(let range):
            guard let i = Int(text) else { return .failure(FieldParseError("must be a whole number, got '\(text)'")) }
            if let message = range?.problem(i) { return .failure(FieldParseError(message)) }
            return .success(.int(i))
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "on": return .success(.bool(true))
            case "false", "no", "off": return .success(.bool(false))
            default: return .failure(FieldParseError("must be true or false, got '\(text)'"))
            }
        case .choice(let words):
            guard words.contains(text) else {
                return .failure(FieldParseError("unknown value '\(text)'; one of \(words.joined(separator: ", "))"))
            }
            return .success(.string(text))
        }
    }
}

/// Why a text is not a value of a field: the part of the message after the key.
public struct FieldParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TrialField {
    /// The fields that join through ``TrialFieldExtension``, in table order.
    public static let extensions: [(field: TrialField, added: TrialFieldExtension)] =
        all.compactMap { field in field.added.map { (field, $0) } }

    /// The extension field whose grid key is `key`, e.g. `training.label_smoothing`.
    public static func extensionField(gridKey key: String) -> (field: TrialField, added: TrialFieldExtension)? {
        extensions.first { $0.field.gridKey == key }
    }
}
