import Foundation

extension Leaderboard {
    /// The workers a run quarantined, from its journal (a run directory or a `.jsonl`
    /// file); none for a leaderboard CSV, which does not record them, or an unreadable journal
    /// (``load(_:)`` reports that one).
    public static func quarantinedWorkers(_ path: String) -> [WorkerQuarantinedRecord] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        let file = isDirectory.boolValue ? (path as NSString).appendingPathComponent(Journal.fileName) : path
        guard file.hasSuffix(".jsonl"), FileManager.default.fileExists(atPath: file) else { return [] }
        return (try? Journal.read(file))?.quarantined ?? []
    }
}
