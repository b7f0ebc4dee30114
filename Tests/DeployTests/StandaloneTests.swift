// The repository stands on its own: no machine paths or outside documents, no personal build folders in
// the pages, and every relative link of a page leads to a file of the repository.
import Foundation
import Testing

@Suite("The repository stands on its own")
struct StandaloneTests {
    let textSuffixes = [".md", ".swift", ".py", ".sh", ".yml", ".yaml", ".json", ".sql", ".h", ".modulemap", ".txt"]
    let pages = ["README.md", "CONTRIBUTING.md"] + repoFiles(under: ["docs", "training"], endingWith: [".md"])

    @Test("docs, Sources, training and ops name no path of one machine and no document outside the repository")
    func noOutsidePaths() throws {
        let files = ["README.md", "CONTRIBUTING.md"] + repoFiles(under: ["docs", "Sources", "training", "ops"], endingWith: textSuffixes)
        #expect(files.count > 100, "found only \(files.count) files")
        for file in files {
            let text = try readRepoText(file)
            let found = ["shared/" + "DESIGN", "/" + "opt/", "/" + "work/"].filter { text.contains($0) }
            #expect(found.isEmpty, "\(file) mentions \(found)")
        }
    }

    @Test("the pages build into .build, not into a personal build folder")
    func noPersonalBuildFolders() throws {
        let personal = try NSRegularExpression(pattern: #"\.build[-_](?!test-media\b)[A-Za-z0-9]+"#)
        for page in pages {
            let text = try readRepoText(page)
            let hits = personal.matches(in: text, range: NSRange(text.startIndex..., in: text))
                .map { String(text[Range($0.range, in: text)!]) }
            #expect(hits.isEmpty, "\(page): \(hits)")
            #expect(!text.contains("--scratch-path"), "\(page) builds into a scratch path of its own")
        }
    }

    @Test("every relative link of a page leads to a file of the repository")
    func links() throws {
        let link = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        var checked = 0
        for page in pages {
            let text = try readRepoText(page)
            let dir = repoFile(page).deletingLastPathComponent()
            for m in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(m.range(at: 1), in: text)!])
                guard !target.contains("://"), !target.hasPrefix("#"), !target.hasPrefix("mailto:") else { continue }
                let path = String(target.split(separator: "#", maxSplits: 1)[0])
                #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path),
                        "\(page) links to \(target), which is not there")
                checked += 1
            }
        }
        #expect(checked >= 5, "only \(checked) links found")
    }
}
