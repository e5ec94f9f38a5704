import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// Reports of Go's own heap profiles must equal what `go tool pprof` printed for them.
/// Golden files are named `<profile>_<flags>.txt`; `MEMPROF_RECORD=1` re-records them by
/// running `go tool pprof` (never our code).
final class GoldenTests: XCTestCase {
    static let fixtures = ["heap.pb.gz", "heap-gc1.pb.gz", "allocs.pb.gz"]
    static let flagSets: [[String]] = [
        ["-top", "-sample_index=inuse_space"],
        ["-top", "-sample_index=alloc_space"],
        ["-top", "-sample_index=alloc_objects", "-nodefraction=0"],
        ["-top", "-sample_index=alloc_space", "-cum"],
        ["-top", "-sample_index=alloc_space", "-nodecount=2"],
        ["-top", "-sample_index=inuse_objects", "-cum", "-nodecount=3"],
        ["-top", "-sample_index=alloc_space", "-focus=net", "-nodefraction=0"],
        ["-top", "-sample_index=alloc_space", "-lines"],
        ["-traces", "-sample_index=alloc_space"],
        ["-peek=runtime.main", "-sample_index=alloc_objects"],
    ]

    override func setUp() { useUTC() }

    func testGoFixtures() throws {
        for fixture in Self.fixtures {
            let url = TestPaths.goFixture(fixture)
            let profile = try loadProfile(url)
            for flags in Self.flagSets {
                let args = PprofArgs(flags)
                let stem = fixture.replacingOccurrences(of: ".pb.gz", with: "")
                let golden = TestPaths.golden.appendingPathComponent("\(stem)_\(args.slug).txt")
                if recordingGolden {
                    let out = try GoPprof.run(flags + [url.path])
                    try out.write(to: golden, atomically: true, encoding: .utf8)
                }
                let expected = try String(contentsOf: golden, encoding: .utf8)
                let (report, options) = args.report()
                let ours = try report.render(ReportContext(profile: profile, options: options))
                XCTAssertEqual(ours, expected, "\(fixture) \(args): \(firstDifference(ours, expected) ?? "")")
            }
        }
    }

    /// The `-top` sections of the reference file recorded with the profiles.
    func testReferenceTopFile() throws {
        let text = try String(contentsOf: TestPaths.goFixture("pprof-top.txt"), encoding: .utf8)
        var sections: [(String, String)] = []
        for chunk in text.components(separatedBy: "=== ").dropFirst() {
            let header = chunk.prefix { $0 != "\n" }
            sections.append((String(header), String(chunk.dropFirst(header.count + 1))))
        }
        XCTAssertEqual(sections.count, 6)
        for (header, expected) in sections {
            let parts = header.split(separator: " ")
            let profile = try loadProfile(TestPaths.goFixture(String(parts[0])))
            let options = ReportOptions(sampleIndex: "\(parts[1])_space")
            let ours = try TopReport().render(ReportContext(profile: profile, options: options))
            XCTAssertEqual(ours, expected, "\(header): \(firstDifference(ours, expected) ?? "")")
        }
    }
}
