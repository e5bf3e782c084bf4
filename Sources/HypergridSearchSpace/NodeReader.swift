import Yams

/// Typed, strict access to YAML nodes that turns every mismatch into a
/// ``GridFileError`` naming the file, line and key.
struct NodeReader {
    let file: String

    func error(_ node: Node, _ key: String, _ message: String) -> GridFileError {
        GridFileError(file: file, line: node.mark?.line, key: key, message: message)
    }

    /// A mapping whose keys are all in `allowed`; returns key → value.
    func mapping(_ node: Node, key: String, allowed: Set<String>) throws -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            throw error(node, key.isEmpty ? "(top level)" : key, "must be a mapping of keys to values")
        }
        var result: [String: Node] = [:]
        for (k, v) in mapping {
            let name = k.string ?? ""
            let path = key.isEmpty ? name : "\(key).\(name)"
            guard allowed.contains(name) else {
                throw error(k, path, "unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            guard result[name] == nil else { throw error(k, path, "appears twice") }
            result[name] = v
        }
        return result
    }

    /// A scalar is a one-element list; a sequence must be non-empty.
    func list<T>(_ node: Node, key: String, _ element: (Node) throws -> T) throws -> [T] {
        switch node {
        case .sequence(let seq):
            guard !seq.isEmpty else { throw error(node, key, "is an empty list; give at least one value") }
            return try seq.map(element)
        case .scalar:
            return [try element(node)]
        case .mapping:
            throw error(node, key, "must be a value or a list of values, not a mapping")
        }
    }

    func scalarText(_ node: Node, key: String) throws -> String {
        guard case .scalar(let s) = node else { throw error(node, key, "must be a single value") }
        return s.string
    }

    func string(_ node: Node, key: String) throws -> String {
        let text = try scalarText(node, key: key)
        guard !text.isEmpty else { throw error(node, key, "must not be empty") }
        return text
    }

    func bool(_ node: Node, key: String) throws -> Bool {
        guard case .scalar = node, let b = node.bool else {
            throw error(node, key, "must be true or false, got '\((try? scalarText(node, key: key)) ?? "a list")'")
        }
        return b
    }

    func int(_ node: Node, key: String) throws -> Int {
        guard case .scalar = node, let i = node.int else {
            throw error(node, key, "must be a whole number, got '\((try? scalarText(node, key: key)) ?? "a list")'")
        }
        return i
    }

    /// A positive whole number, for the search section (trial and dataset values take their
    /// ranges from ``ConfigField`` through `int(_:_:)`).
    func positiveInt(_ node: Node, key: String) throws -> Int {
        let i = try int(node, key: key)
        guard i > 0 else { throw error(node, key, "must be positive, got \(i)") }
        return i
    }

    func double(_ node: Node, key: String) throws -> Double {
        // Yams resolves `1e-3` as a string under YAML 1.1 rules; Double() accepts it.
        guard case .scalar(let s) = node, let d = node.float ?? Double(s.string), d.isFinite else {
            throw error(node, key, "must be a number, got '\((try? scalarText(node, key: key)) ?? "a list")'")
        }
        return d
    }

    /// A whole number inside `field`'s range (`ConfigField.problem`, the rule
    /// the `train` command and the trainer use too), reported under the field's key.
    func int(_ node: Node, _ field: ConfigField) throws -> Int {
        let i = try int(node, key: field.rawValue)
        if let message = field.problem(i) { throw error(node, field.rawValue, message) }
        return i
    }

    /// A number inside `field`'s range, reported under the field's key.
    func double(_ node: Node, _ field: ConfigField) throws -> Double {
        let d = try double(node, key: field.rawValue)
        if let message = field.problem(d) { throw error(node, field.rawValue, message) }
        return d
    }
}
