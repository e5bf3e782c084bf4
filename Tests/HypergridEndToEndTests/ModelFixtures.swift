import Foundation
import Testing

/// The model files of the bad-input rows (`BadInput.Setup.models`), made by the real binary.
enum ModelFixtures {
    /// Writes the fixtures into `dir`; returns the first 12 digits of the kept model's trial id.
    static func write(in dir: URL) throws -> String {
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try "size,colour,kind\n1.5,red,a\n2.5,blue,b\n3.0,,a\n0.5,red,b\n1.0,blue,a\n2.0,red,b\n"
            .write(toFile: path("table.csv"), atomically: true, encoding: .utf8)
        try "size,kind\n1.0,a\n".write(toFile: path("no-colour.csv"), atomically: true, encoding: .utf8)
        for arguments in [
            ["train", "--dataset", "synthetic", "--train-rows", "300", "--validation-rows", "50", "--test-rows", "50",
             "--hidden", "8", "--iterations", "5", "--cache-dir", path("cache"), "--save-model", path("model.hgmodel")],
            ["train", "--format", "csv", "--data", path("table.csv"), "--label", "kind", "--validation", "2",
             "--hidden", "4", "--iterations", "5", "--batch-size", "4", "--no-cache", "--save-model", path("table.hgmodel")],
        ] {
            let (status, log) = try CLIProcess.run(arguments, in: dir)
            try #require(status == 0, "\(log)")
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("model.hgmodel"))))
        var corrupt = bytes
        corrupt[bytes.count / 2] ^= 0xFF
        var newer = bytes
        newer[4] = 2
        for (name, content) in [("corrupt.hgmodel", corrupt), ("truncated.hgmodel", Array(bytes.prefix(bytes.count / 2))),
                                ("newer.hgmodel", newer)] {
            try Data(content).write(to: URL(fileURLWithPath: path(name)))
        }
        // The trial id is the 64 hex digits after the numerics string, the first field.
        let numericsLength = Int(bytes[6])
        let id = String(decoding: bytes[(6 + 8 + numericsLength + 8)..<(6 + 8 + numericsLength + 8 + 64)], as: UTF8.self)
        try FileManager.default.createDirectory(atPath: path("run/models"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path("model.hgmodel"), toPath: path("run/models/\(id).hgmodel"))
        try FileManager.default.createDirectory(atPath: path("run-empty"), withIntermediateDirectories: true)
        try npy(rows: 3, columns: 64).write(to: URL(fileURLWithPath: path("rows.npy")))
        try npy(rows: 3, columns: 10).write(to: URL(fileURLWithPath: path("narrow.npy")))
        return String(id.prefix(12))
    }

    /// A float32 `.npy` of zeros (format 1.0: magic, version, header length, a padded dict).
    static func npy(rows: Int, columns: Int) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        data.append(Data(count: rows * columns * 4))
        return data
    }
}
