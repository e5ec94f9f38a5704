import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// Random profiles whose functions point at source files written to a temporary folder
/// (found directly, through `-source_path`, `-trim_path`, pprof's guess from the search
/// path, `/proc/self/cwd/`, parent folders; or missing), listed by us and by
/// `go tool pprof -list`, line for line.
final class ListDifferentialTests: XCTestCase {
    override func setUp() { useUTC() }

    /// Source files of varied shapes: short and long, CRLF endings, tabs, non-ASCII text, an
    /// empty file and a directory where a file is expected.
    static func writeSources(in dir: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("src/sub"), withIntermediateDirectories: true)
        func body(_ n: Int, _ tag: String, _ eol: String = "\n") -> String {
            (1...n).map { i in i % 7 == 0 ? "" : i % 5 == 0 ? "\t\tx\(i) := \"ünï \(tag)\"" : "line \(i) of \(tag)" }
                .joined(separator: eol) + eol
        }
        let files: [(String, String)] = [
            ("src/a.go", body(120, "a")), ("src/b.swift", body(40, "b")), ("src/c.go", body(200, "c")),
            ("src/d.go", body(12, "d")), ("src/e.go", body(90, "e")), ("src/crlf.c", body(60, "crlf", "\r\n")),
            ("src/empty.go", ""), ("src/noeol.go", String(body(30, "noeol").dropLast())),
        ]
        for (name, text) in files {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }

    /// File names as a profile might record them, relative to the source folder `dir`.
    static func fileNames(_ dir: URL) -> [String] {
        [dir.path + "/src/a.go", "src/b.swift", "src/crlf.c", "/nonexistent/dir/x.go", "build/root/src/c.go", "/build/root/src/c.go",
         "/remote/\(dir.lastPathComponent)/src/e.go", "/proc/self/cwd/src/d.go", "lib/missing.go", "./src//x/../a.go",
         "a.go", "src/empty.go", "src/noeol.go", "src", ""]
    }

    /// A random profile (see `RandomProfileFactory`) with its functions moved to the source
    /// files, line numbers that fall inside and past the ends of files, and start lines that
    /// are fixed per function name and file (pprof's line range depends on the order of its
    /// nodes otherwise).
    static func profile(_ f: inout RandomProfileFactory, files: [String]) -> Profile {
        var p = f.make()
        for i in p.functions.indices {
            // Most functions are in files found without help; the rest test the search rules.
            p.functions[i].filename = f.chance(0.5) ? f.pick(Array(files.prefix(3))) : f.pick(files)
            let key = p.functions[i].name + p.functions[i].filename
            let hash = key.utf8.reduce(UInt64(5381)) { ($0 &* 33) ^ UInt64($1) }
            p.functions[i].startLine = hash % 3 == 0 ? Int64(hash % 40) : 0
        }
        for i in p.locations.indices {
            for j in p.locations[i].lines.indices {
                p.locations[i].lines[j].line = Int64(f.chance(0.1) ? f.int(0...300) : f.int(1...130))
            }
        }
        return p
    }

    /// `name` as a regex matching itself.
    static func escaped(_ name: String) -> String {
        if name.isEmpty { return "^$" }
        var out = ""
        for c in name {
            if "\\.+*?()|[]{}^$".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    func testListMatchesGoPprof() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let root = GoPprof.scratch.appendingPathComponent("list-\(getpid())")
        let dir = root.appendingPathComponent("srcroot")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeSources(in: dir)
        let files = Self.fileNames(dir)
        let patterns = ["pkg[0-2]", "fn1|Zed", "same|Method", ".", "code|sys_", "^$|fn2"]
        let extras: [[String]] = [
            [], ["-source_path=\(dir.path)"], ["-source_path=\(dir.path)", "-trim_path=build/root"],
            ["-trim_path=/build/root:/other"], ["-source_path=\(dir.path)/src/sub"], ["-noinlines"],
            ["-focus=pkg1|Zed"], ["-hide=fn1"], ["-unit=kB"], ["-divide_by=3"], ["-drop_negative"],
            ["-source_path=/nowhere:\(dir.path)"], ["-trim_path=/build/root", "-noinlines"], ["-mean"],
        ]
        var compared = 0, matched = 0, bothFailed = 0, lines = 0, withErrors = 0, withSource = 0
        var failures: [String] = []
        for i in 0..<DifferentialTests.profileCount {
            var factory = RandomProfileFactory(seed: 0x11_5700 + UInt64(i))
            let profile = Self.profile(&factory, files: files)
            let file = root.appendingPathComponent("p\(i).pb.gz")
            try Data(profile.encoded()).write(to: file)
            let reread = try Profile.parse(try [UInt8](Data(contentsOf: file)))
            let used = Set(profile.samples.flatMap(\.locationIDs))
            let usedFunctions = Set(profile.locations.filter { used.contains($0.id) }.flatMap { $0.lines.map(\.functionID) })
            // Names as pprof shows them: C++ names lose their parameters and templates.
            let names = profile.functions.filter { usedFunctions.contains($0.id) }
                .map { String($0.name.prefix { $0 != "(" && $0 != "<" }) }
            for _ in 0..<4 {
                let index = String(factory.int(0...profile.sampleTypes.count - 1))
                let pattern = factory.chance(0.4) ? factory.pick(patterns) : Self.escaped(factory.pick(names.isEmpty ? [""] : names))
                let flags = ["-list=\(pattern)", "-sample_index=\(index)"] + factory.pick(extras)
                compared += 1
                let args = PprofArgs(flags)
                let (report, options) = args.report()
                let go = Result { try GoPprof.run(flags + [file.path], in: dir) }
                let ours = withCurrentDirectory(dir) {
                    Result { try report.render(ReportContext(profile: reread, options: options)) }
                }
                switch (ours, go) {
                case let (.success(a), .success(b)) where a == b:
                    matched += 1
                    lines += a.split(separator: "\n").count
                    if a.contains(" Error: ") { withErrors += 1 }
                    if a.contains(" of ") && a.contains("ROUTINE") && a.contains(":line ") { withSource += 1 }
                case let (.failure(a), .failure(b)):
                    if ProcessInfo.processInfo.environment["MEMPROF_DEBUG"] != nil { print("both failed: \(a) | \(b)") }
                    matched += 1
                    bothFailed += 1
                case let (.success(a), .success(b)):
                    failures.append("p\(i) \(args): \(firstDifference(a, b) ?? "")")
                default:
                    failures.append("p\(i) \(args): ours \(ours), go \(go)")
                }
            }
        }
        print("differential list: \(matched)/\(compared) outputs identical over \(DifferentialTests.profileCount)"
            + " profiles (\(lines) lines; \(withSource) with source lines, \(withErrors) with missing files;"
            + " \(bothFailed) rejected by both)")
        XCTAssertGreaterThan(withSource, compared / 4, "most listings must show source")
        XCTAssertLessThan(bothFailed, compared / 3, "most comparisons must produce output")
        XCTAssertEqual(matched, compared, failures.prefix(10).joined(separator: "\n"))
    }
}
