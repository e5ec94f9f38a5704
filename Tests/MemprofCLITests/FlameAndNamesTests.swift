import Foundation
import XCTest

/// The flame graph command, readable Swift names, and a profile of 20,000 stacks.
final class FlameAndNamesTests: XCTestCase {
    func testFlameGraphPage() throws {
        let out = scratch.appendingPathComponent("flame.html")
        let r = try CLI.memprof(["flame", "--alloc_space", CLI.fixture("heap.pb.gz"), "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(r.stderr, "memprof: wrote \(out.path) (\(html.utf8.count) bytes); open it in a browser\n")
        // The page's look is the analysis library's (and changes with it); the golden file
        // holds the data the command put in it: the call trees of every sample type.
        let marker = "<script type=\"application/json\" id=\"flame-data\">"
        let data = try XCTUnwrap(html.components(separatedBy: marker).dropFirst().first?
            .components(separatedBy: "</script>").first, "no flame data in the page")
        try CLI.assertGolden(data, "flame_heap_alloc_space.json")
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>") || html.hasPrefix("<!doctype html>"), String(html.prefix(80)))
        for external in ["src=\"http", "href=\"http", "src='http", "@import", "url(http"] {
            XCTAssertFalse(html.contains(external), "the page must not load \(external)...")
        }
        for name in ["main.bigBytes", "runtime.main", "alloc_space", "inuse_space"] {
            XCTAssertTrue(html.contains(name), "\(name) missing from the page")
        }
        let stdout = try CLI.memprof(["flame", "--alloc_space", CLI.fixture("heap.pb.gz"), "-o", "-"])
        XCTAssertEqual(stdout.stdout, html)
        let bad = try CLI.memprof(["flame", CLI.fixture("heap.pb.gz"), "-o", "/nonexistent/dir/f.html"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.hasPrefix("memprof: cannot write /nonexistent/dir/f.html: "), bad.stderr)
    }

    /// A profile of a Swift program: Swift functions carry compact names, which memprof
    /// shows exactly as go tool pprof does; --full-names demangles the full signatures from
    /// the mangled system names.
    func testSwiftNames() throws {
        let profile = scratch.appendingPathComponent("swift-threads.pb.gz").path
        let run = try CLI.memprof(["run", "-o", profile, "--rate", "1", "--", product("memprof-workload"), "threads", "2000"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let readable = try CLI.memprof(["top", "--alloc_space", profile])
        XCTAssertEqual(readable.status, 0, readable.stderr)
        XCTAssertEqual(readable.stdout, try CLI.pprof(["-top", "-sample_index=alloc_space", profile]))
        let full = try CLI.memprof(["top", "--alloc_space", "--full-names", profile])
        XCTAssertEqual(full.status, 0, full.stderr)
        XCTAssertTrue(full.stdout.contains(
            "static MemprofWorkloads.Workloads.threads(count: Swift.Int, operations: Swift.Int) -> MemprofWorkloads.Workloads.Expected"),
            full.stdout)
        XCTAssertTrue(readable.stdout.contains("MemprofWorkloads.Workloads.threads(count:operations:)"), readable.stdout)
        XCTAssertFalse(readable.stdout.contains("Swift.Int") || readable.stdout.contains("->"), readable.stdout)
        // The header and the totals do not change with the names.
        let header = { (s: String) in s.split(separator: "\n").prefix(5).joined(separator: "\n") }
        XCTAssertEqual(header(readable.stdout).components(separatedBy: "Showing nodes").last?.prefix(40),
                       header(full.stdout).components(separatedBy: "Showing nodes").last?.prefix(40))
    }

    /// 20,000 distinct stacks (the benchmark's profile): the same report as go tool pprof.
    func testLargeProfileEqualsGoToolPprof() throws {
        let profile = scratch.appendingPathComponent("stacks-20000.pb.gz").path
        let made = try CLI.memprof(["_synthetic-profile", "--stacks", "20000", "-o", profile])
        XCTAssertEqual(made.status, 0, made.stderr)
        for (ours, theirs) in [(["top"], ["-top"]),
                               (["top", "--cum", "-n", "40", "--alloc_objects"],
                                ["-top", "-cum", "-nodecount=40", "-sample_index=alloc_objects"])] {
            let r = try CLI.memprof(ours + [profile])
            XCTAssertEqual(r.status, 0, r.stderr)
            let expected = try CLI.pprof(theirs + [profile])
            XCTAssertEqual(r.stdout, expected, "\(ours): \(CLI.firstDifference(r.stdout, expected) ?? "")")
        }
    }
}
