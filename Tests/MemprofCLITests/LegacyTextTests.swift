import Foundation
import XCTest

/// `memprof top heap.txt`: Go's `/debug/pprof/heap?debug=1` text (and ours) is read from a
/// file or a URL, with the figures go tool pprof gives and the names of its `#` lines.
final class LegacyTextTests: XCTestCase {
    let bigBytes = "  858.38MB 99.82% 99.82%   858.38MB 99.82%  main.bigBytes\n"

    func testTextFileIsReadWithNames() throws {
        let r = try CLI.memprof(["top", "--alloc_space", CLI.fixture("heap-debug1.txt")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertTrue(r.stdout.hasPrefix("Type: alloc_space\nShowing nodes accounting for "), r.stdout)
        XCTAssertTrue(r.stdout.contains(" of 859.91MB total\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains(bigBytes), r.stdout)
        // go tool pprof's total for the same text.
        let go = try CLI.pprof(["-top", "-sample_index=alloc_space", CLI.fixture("heap-debug1.txt")])
        XCTAssertTrue(go.contains(" of 859.91MB total\n"), go)
    }

    func testTextServedOverHTTPIsRead() throws {
        let text = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("heap-debug1.txt")))
        let server = try TinyHTTPServer(routes: ["/debug/pprof/heap": .ok(text)])
        defer { server.stop() }
        let r = try CLI.memprof(["top", "-sample_index=alloc_space", server.url + "/debug/pprof/heap"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains(bigBytes), r.stdout)
    }
}
