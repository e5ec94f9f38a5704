import Foundation
@testable import MemprofAnalysis
import MemprofProfile
import XCTest

/// `list` on Go's own profiles: the reference listing recorded with the profiles, and golden
/// files recorded from `go tool pprof` run in the fixture folder (which holds `main.go`).
final class ListReportTests: XCTestCase {
    override func setUp() { useUTC() }

    func testReferenceListFile() throws {
        let expected = try String(contentsOf: TestPaths.goFixture("pprof-list.txt"), encoding: .utf8)
        let profile = try loadProfile(TestPaths.goFixture("heap.pb.gz"))
        let options = ReportOptions(sampleIndex: "alloc_space", trimPath: "goseed")
        let ours = try withCurrentDirectory(TestPaths.goFixtures) {
            try ListReport("main.bigBytes").render(ReportContext(profile: profile, options: options))
        }
        XCTAssertEqual(ours, expected, firstDifference(ours, expected) ?? "")
    }

    static let flagSets: [[String]] = [
        ["-list=main.bigBytes", "-sample_index=alloc_space", "-trim_path=goseed"],
        ["-list=main", "-sample_index=alloc_space", "-trim_path=goseed", "-source_path=."],
        ["-list=runtime.main$", "-sample_index=inuse_space", "-source_path=."],
        ["-list=bigBytes|malg", "-sample_index=alloc_objects", "-trim_path=goseed", "-source_path=."],
        ["-list=main.main", "-sample_index=alloc_space", "-source_path=goseed", "-noinlines"],
    ]

    func testGoFixtures() throws {
        for fixture in GoldenTests.fixtures {
            let url = TestPaths.goFixture(fixture)
            let profile = try loadProfile(url)
            for flags in Self.flagSets {
                let args = PprofArgs(flags)
                let stem = fixture.replacingOccurrences(of: ".pb.gz", with: "")
                let golden = TestPaths.golden.appendingPathComponent("\(stem)_\(args.slug).txt")
                if recordingGolden {
                    let out = try GoPprof.run(flags + [url.path], in: TestPaths.goFixtures)
                    try out.write(to: golden, atomically: true, encoding: .utf8)
                }
                let expected = try String(contentsOf: golden, encoding: .utf8)
                let (report, options) = args.report()
                let ours = try withCurrentDirectory(TestPaths.goFixtures) {
                    try report.render(ReportContext(profile: profile, options: options))
                }
                XCTAssertEqual(ours, expected, "\(fixture) \(args): \(firstDifference(ours, expected) ?? "")")
            }
        }
    }

    func testNoMatchAndMissingSource() throws {
        let profile = try loadProfile(TestPaths.goFixture("heap.pb.gz"))
        XCTAssertThrowsError(try ListReport("no.such.function").render(ReportContext(profile: profile))) { error in
            XCTAssertEqual(error as? AnalysisError, .noMatches("no.such.function"))
        }
        let options = ReportOptions(sampleIndex: "alloc_space", sourcePath: "/nonexistent")
        let out = try ListReport("bigBytes").render(ReportContext(profile: profile, options: options))
        XCTAssertEqual(out, """
            Total: 859.91MB
            ROUTINE ======================== main.bigBytes in goseed/main.go
              858.38MB   858.38MB (flat, cum) 99.82% of Total
             Error: could not find file goseed/main.go on path /nonexistent

            """)
    }

    func testTrimPathRules() {
        XCTAssertEqual(SourceReader.trimmed("/build/proj/src/a.c", trimPath: "", searchPath: "/home/me/proj"), "src/a.c")
        XCTAssertEqual(SourceReader.trimmed("/build/proj/src/a.c", trimPath: "/build", searchPath: "/home/me/proj"),
                       "proj/src/a.c")
        XCTAssertEqual(SourceReader.trimmed("/proc/self/cwd/./x.go", trimPath: "", searchPath: ""), "x.go")
        XCTAssertEqual(SourceReader.trimmed("/proc/self/cwd/x.go", trimPath: "a:b", searchPath: ""), "x.go")
        XCTAssertEqual(SourceReader.trimmed("b/x.go", trimPath: "a:b/", searchPath: ""), "x.go")
        XCTAssertEqual(SourceReader.scanLines(Array("a\r\nb\n\nc".utf8)), ["a", "b", "", "c"])
        XCTAssertEqual(SourceReader.scanLines(Array("a\n".utf8)), ["a"])
        XCTAssertEqual(GoPath.dir("/a/b"), "/a")
        XCTAssertEqual(GoPath.dir("/a"), "/")
        XCTAssertEqual(GoPath.dir("a"), ".")
        XCTAssertEqual(GoPath.join("/a/b", "../c.go"), "/a/c.go")
        XCTAssertEqual(GoPath.splitList(""), [])
        XCTAssertEqual(GoPath.splitList("a::b"), ["a", "", "b"])
    }
}
