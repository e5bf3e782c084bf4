import Foundation
import Testing

private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shell completions and the manual page that swift-argument-parser derives from the
/// command definitions (docs/command-line.md).
@Suite struct CommandLineEndToEndTests {
    /// Every subcommand of `hypergrid` and the long names of its options and flags, as the
    /// binary describes itself (`--experimental-dump-help`, the JSON swift-argument-parser's
    /// generate-manual reads).
    static func commandLine() throws -> [(command: String, options: [String])] {
        let dir = try temporaryDirectory("dump-help")
        let (status, output) = try CLIProcess.run(["--experimental-dump-help"], in: dir, timeout: 30)
        try #require(status == 0, "\(output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let root = try #require(json["command"] as? [String: Any])
        func options(_ command: [String: Any]) -> [String] {
            ((command["arguments"] as? [[String: Any]]) ?? []).filter { ($0["shouldDisplay"] as? Bool) != false }
                .flatMap { (($0["names"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "long" } }
                .compactMap { $0["name"] as? String }
        }
        let subcommands = (root["subcommands"] as? [[String: Any]]) ?? []
        return [("hypergrid", options(root))] + subcommands.compactMap { sub in
            (sub["commandName"] as? String).map { ($0, options(sub)) }
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptNamesEverySubcommandAndOption(shell: String) throws {
        let dir = try temporaryDirectory("completion-\(shell)")
        let (status, script) = try CLIProcess.run(["--generate-completion-script", shell], in: dir, timeout: 30)
        #expect(status == 0, "\(script)")
        let commandLine = try Self.commandLine()
        #expect(commandLine.count >= 8, "\(commandLine.map { $0.command })")
        var missing: [String] = []
        for (command, options) in commandLine {
            if command != "hypergrid", !script.contains(command) { missing.append("subcommand \(command)") }
            // bash and zsh spell an option `--run-dir`; fish `-l 'run-dir'`.
            for option in options where !script.contains(shell == "fish" ? "-l '\(option)'" : "--\(option)") {
                missing.append("\(command) --\(option)")
            }
        }
        #expect(missing.isEmpty, "the \(shell) script lacks: \(missing.joined(separator: ", "))")
        if shell == "bash" {
            // The script must at least parse: bash -n reads it without running it.
            let file = dir.appendingPathComponent("hypergrid.bash")
            try script.write(to: file, atomically: true, encoding: .utf8)
            let (syntax, errors) = try runTool("/bin/bash", ["-n", file.path], in: dir, timeout: 30)
            #expect(syntax == 0, "bash -n: \(errors)")
        }
    }

    @Test func theCommittedManualPageNamesEverySubcommandAndOption() throws {
        let page = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/man/hypergrid.1"), encoding: .utf8)
        var missing: [String] = []
        for (command, options) in try Self.commandLine() {
            if command != "hypergrid", !page.contains(".It Em \(command)") { missing.append("subcommand \(command)") }
            // `.It Fl -grid Ar grid`, or `.It Fl v , -verbose` for an option with a short name too.
            for option in options where !page.contains("Fl -\(option)") && !page.contains(" , -\(option)") {
                missing.append("\(command) --\(option)")
            }
        }
        #expect(missing.isEmpty, "docs/man/hypergrid.1 is out of date (run scripts/generate-man-page and commit it); it lacks: \(missing.joined(separator: ", "))")
    }
}
