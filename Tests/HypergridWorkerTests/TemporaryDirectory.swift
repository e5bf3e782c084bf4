import Foundation

/// A fresh directory under the system's temporary folder, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init(_ label: String = #function) {
        let name = "hypergrid-worker-\(label.filter { $0.isLetter || $0.isNumber }.prefix(40))-\(UUID().uuidString.prefix(8))"
        url = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true).appendingPathComponent(name, isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
