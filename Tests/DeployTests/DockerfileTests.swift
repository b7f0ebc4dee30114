// The Dockerfile: stages, packages (checked against Package.swift and Debian), user, volume, healthcheck.
import Foundation
import TestSupport
import Testing

/// The Dockerfile's instructions by stage: continuation lines joined, comments dropped.
struct Dockerfile {
    struct Instruction { let keyword: String; let args: String }
    let globalArgs: [Instruction]
    let stages: [[Instruction]]

    init() throws {
        var logical: [String] = [], current = ""
        for raw in try readRepoText("Dockerfile").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasSuffix("\\") { current += line.dropLast() + " "; continue }
            current += line
            if !current.trimmingCharacters(in: .whitespaces).isEmpty { logical.append(current) }
            current = ""
        }
        var global: [Instruction] = [], stages: [[Instruction]] = []
        for line in logical {
            let keyword = String(line.prefix { !$0.isWhitespace }).uppercased()
            let i = Instruction(keyword: keyword, args: line.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces))
            if keyword == "FROM" { stages.append([i]) } else if stages.isEmpty { global.append(i) } else { stages[stages.count - 1].append(i) }
        }
        globalArgs = global
        self.stages = stages
    }

    func all(_ keyword: String, in stage: [Instruction]) -> [String] { stage.filter { $0.keyword == keyword }.map(\.args) }

    /// Packages named by `apt-get install` in a stage.
    func aptPackages(in stage: [Instruction]) -> Set<String> {
        var out: Set<String> = []
        for run in all("RUN", in: stage) {
            for command in run.components(separatedBy: "&&") where command.contains("apt-get install") {
                let words = command.split(whereSeparator: \.isWhitespace).map(String.init)
                let after = words.drop { $0 != "install" }.dropFirst()
                out.formUnion(after.filter { !$0.hasPrefix("-") && !$0.contains("=") })
            }
        }
        return out
    }

    /// The FROM image with the global ARG defaults substituted.
    func image(of stage: [Instruction]) -> String {
        var s = String(stage[0].args.split(separator: " ")[0])
        for arg in globalArgs where arg.keyword == "ARG" {
            let parts = arg.args.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { s = s.replacingOccurrences(of: "${\(parts[0])}", with: parts[1]) }
        }
        return s
    }
}

/// The apt packages named as providers of the system-library targets in Package.swift.
func packageSwiftAptProviders() throws -> Set<String> {
    let manifest = try readRepoText("Package.swift")
    let lists = try NSRegularExpression(pattern: #"\.apt\(\[([^\]]*)\]\)"#)
    let names = try NSRegularExpression(pattern: #""([^"]+)""#)
    var out: Set<String> = []
    for m in lists.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
        let inner = String(manifest[Range(m.range(at: 1), in: manifest)!])
        for n in names.matches(in: inner, range: NSRange(inner.startIndex..., in: inner)) {
            out.insert(String(inner[Range(n.range(at: 1), in: inner)!]))
        }
    }
    return out
}

private let aptCache = "/usr/bin/apt-cache"
private let onDebian12 = (try? String(contentsOfFile: "/etc/debian_version", encoding: .utf8))?.hasPrefix("12") == true

@Suite("Dockerfile")
struct DockerfileTests {
    @Test("a Swift build stage and a slim Debian runtime stage, from pinned images")
    func stages() throws {
        let d = try Dockerfile()
        #expect(d.stages.count == 2)
        let build = try #require(d.stages.first), runtime = try #require(d.stages.last)
        #expect(d.image(of: build).hasPrefix("swift:6.") && d.image(of: build).hasSuffix("-bookworm"), "\(d.image(of: build))")
        #expect(d.image(of: runtime) == "debian:bookworm-slim")
        let compile = d.all("RUN", in: build).first { $0.contains("swift build") } ?? ""
        #expect(compile.contains("-c release") && compile.contains("--static-swift-stdlib") && compile.contains("--product merclip"))
        #expect(d.all("COPY", in: runtime).contains { $0.hasPrefix("--from=build ") })
        #expect(d.all("COPY", in: build).contains { $0.hasPrefix("schemas/migrations /out/usr/share/merclip/migrations") },
                "migrations at /usr/share/merclip/migrations, where `merclip db migrate` looks")
    }

    @Test("the build stage installs every apt provider Package.swift names")
    func buildPackages() throws {
        let d = try Dockerfile()
        let providers = try packageSwiftAptProviders()
        #expect(providers.count >= 9)
        let installed = d.aptPackages(in: d.stages[0])
        #expect(providers.isSubset(of: installed), "missing in the build stage: \(providers.subtracting(installed))")
        #expect(installed.contains("pkg-config"))
    }

    @Test("the runtime stage installs the runtime libraries, curl for the healthcheck, and no -dev package")
    func runtimePackages() throws {
        let d = try Dockerfile()
        let installed = d.aptPackages(in: d.stages[1])
        let required: Set<String> = ["librdkafka1", "libopenblas0-pthread", "libavformat59", "libavcodec59", "libavutil57",
                                     "libswscale6", "libswresample4", "libsndfile1", "libpq5", "libcurl4", "curl", "ca-certificates"]
        #expect(required.isSubset(of: installed), "missing: \(required.subtracting(installed))")
        #expect(!installed.contains { $0.hasSuffix("-dev") })
    }

    @Test("each -dev package's runtime library is in the runtime stage (apt-cache, Debian 12)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: aptCache) && onDebian12))
    func runtimeMatchesDebian() throws {
        let d = try Dockerfile()
        let runtime = d.aptPackages(in: d.stages[1])
        for dev in d.aptPackages(in: d.stages[0]) where dev.hasSuffix("-dev") {
            let r = try runProcess(aptCache, ["depends", dev])
            let text = r.stdout
            #expect(r.status == 0, "apt-cache depends \(dev) failed: is it a Debian 12 package?")
            let libs = text.split(separator: "\n").compactMap { line -> String? in
                let t = line.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "|"))
                guard t.hasPrefix("Depends: ") else { return nil }
                let name = String(t.dropFirst("Depends: ".count))
                return name.hasPrefix("lib") && !name.hasSuffix("-dev") && !name.hasPrefix("<") ? name : nil
            }
            // libopenblas-dev depends on libopenblas0, which the pthread flavour provides.
            #expect(libs.contains { lib in runtime.contains { $0 == lib || $0.hasPrefix(lib + "-") } },
                    "\(dev) needs one of \(libs) at run time")
        }
        for package in runtime {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: aptCache)
            p.arguments = ["show", package]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(package) is not a Debian 12 package")
        }
    }

    @Test("runs as a non-root user with the model volume, the metrics port, a /healthz healthcheck and tini")
    func runtimeSettings() throws {
        let d = try Dockerfile()
        let runtime = d.stages[1]
        let user = try #require(d.all("USER", in: runtime).last)
        #expect(!["root", "0", "0:0"].contains(user) && user.hasPrefix("10001"), "USER \(user)")
        #expect(d.all("VOLUME", in: runtime).contains { $0.contains("\"/models\"") })
        let env = d.all("ENV", in: runtime).joined(separator: " ")
        #expect(env.contains("MERCLIP_MODEL=/models/current") && env.contains("MERCLIP_METRICS_PORT=9464")
                && env.contains("MERCLIP_MIGRATIONS=/usr/share/merclip/migrations"))
        #expect(d.all("EXPOSE", in: runtime) == ["9464"])
        let health = try #require(d.all("HEALTHCHECK", in: runtime).first)
        #expect(health.contains("CMD curl") && health.contains("/healthz"))
        #expect(d.all("ENTRYPOINT", in: runtime).first?.contains("\"/usr/bin/tini\", \"--\", \"/usr/bin/merclip\"") == true)
        #expect(d.all("CMD", in: runtime) == ["[\"worker\"]"])
        #expect(d.aptPackages(in: runtime).contains("tini"))
    }

    @Test(".dockerignore keeps the sources and drops build output, git and fixtures")
    func dockerignore() throws {
        let lines = Set(try readRepoText(".dockerignore").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") })
        for kept in ["Sources", "Package.swift", "schemas", "Tests", "schemas/migrations"] {
            #expect(!lines.contains(kept) && !lines.contains(kept + "/"), ".dockerignore drops \(kept), which the build copies")
        }
        for dropped in [".git", ".build", ".build-*", ".services", "Tests/Fixtures"] {
            #expect(lines.contains(dropped), ".dockerignore should drop \(dropped)")
        }
    }
}
