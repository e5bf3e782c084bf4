import Foundation
import Testing

private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The README is the front door and `docs/` holds the rest: every relative link in them must
/// lead somewhere, every page in `docs/` must be reachable from the README, and the README
/// stays short enough to read in five minutes.
@Suite struct DocumentationLinkTests {
    @Test func everyRelativeLinkInTheReadmeAndDocsResolves() throws {
        var broken: [String] = []
        for page in try Documentation.pages(root: repositoryRoot) {
            for link in try Documentation.links(in: page) where !link.isExternal {
                if let problem = Documentation.problem(with: link, from: page) {
                    broken.append("\(page.path.dropFirst(repositoryRoot.path.count + 1)): (\(link.target)): \(problem)")
                }
            }
        }
        #expect(broken.isEmpty, "broken links:\n\(broken.joined(separator: "\n"))")
    }

    @Test func everyPageInDocsIsReachableFromTheReadme() throws {
        let readme = repositoryRoot.appendingPathComponent("README.md").standardizedFileURL
        var reached: Set<String> = [readme.path]
        var frontier = [readme]
        while let page = frontier.popLast() {
            for link in try Documentation.links(in: page) where !link.isExternal {
                let target = link.file(from: page)
                if target.pathExtension == "md", FileManager.default.fileExists(atPath: target.path),
                   reached.insert(target.path).inserted {
                    frontier.append(target)
                }
            }
        }
        let unreached = try Documentation.pages(root: repositoryRoot).filter { !reached.contains($0.path) }
        #expect(unreached.isEmpty, "not linked from README.md, directly or through other pages: \(unreached.map(\.lastPathComponent))")
    }

    @Test func theReadmeIsAtMost250Lines() throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
        #expect(lines <= 250, "README.md has \(lines) lines: move detail into docs/ and link to it")
    }
}

/// Markdown links of the README and `docs/`, read with a small scanner: inline links
/// `[text](target)` outside code spans and fenced blocks, which is all these pages use. A full
/// CommonMark parser (swift-markdown) would be a dependency for one test.
enum Documentation {
    struct Link {
        let target: String
        var isExternal: Bool { target.contains("://") || target.hasPrefix("mailto:") }
        /// The file part, resolved against the page's folder (the page itself for `#anchor`).
        func file(from page: URL) -> URL {
            let path = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if path.isEmpty { return page }
            return page.deletingLastPathComponent().appendingPathComponent(String(path)).standardizedFileURL
        }
        var anchor: String? {
            guard let hash = target.firstIndex(of: "#") else { return nil }
            return String(target[target.index(after: hash)...])
        }
    }

    /// README.md and every `.md` under docs/.
    static func pages(root: URL) throws -> [URL] {
        var pages = [root.appendingPathComponent("README.md").standardizedFileURL]
        let docs = root.appendingPathComponent("docs")
        if let walker = FileManager.default.enumerator(at: docs, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where url.pathExtension == "md" {
                pages.append(url.standardizedFileURL)
            }
        }
        return pages.sorted { $0.path < $1.path }
    }

    static func links(in page: URL) throws -> [Link] {
        var links: [Link] = []
        var inFence = false
        for line in try String(contentsOf: page, encoding: .utf8).components(separatedBy: "\n") {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inFence.toggle(); continue }
            if inFence { continue }
            let chars = Array(line)
            var i = 0
            var inCode = false
            while i < chars.count {
                if chars[i] == "`" { inCode.toggle() }
                if !inCode, chars[i] == "]", i + 1 < chars.count, chars[i + 1] == "(",
                   let close = chars[(i + 2)...].firstIndex(of: ")") {
                    links.append(Link(target: String(chars[(i + 2)..<close])))
                    i = close
                }
                i += 1
            }
        }
        return links
    }

    /// Why the link leads nowhere, or nil.
    static func problem(with link: Link, from page: URL) -> String? {
        let file = link.file(from: page)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) else {
            return "no such file \(file.path)"
        }
        guard let anchor = link.anchor, file.pathExtension == "md",
              let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        return headingAnchors(text).contains(anchor) ? nil : "\(file.lastPathComponent) has no heading with anchor #\(anchor)"
    }

    /// GitHub's heading anchors: lower case, punctuation other than `-` and `_` dropped, spaces
    /// to hyphens.
    static func headingAnchors(_ text: String) -> Set<String> {
        var anchors: Set<String> = []
        var inFence = false
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            guard !inFence, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
            let kept = title.unicodeScalars.filter {
                CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" || $0 == " "
            }
            anchors.insert(String(kept).replacingOccurrences(of: " ", with: "-"))
        }
        return anchors
    }
}
