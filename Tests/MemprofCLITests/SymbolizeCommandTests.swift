import Foundation
import XCTest

/// `memprof symbolize IN -o OUT` on profiles that are named already.
final class SymbolizeCommandTests: XCTestCase {
    /// Go's profiles carry their names: they are written as they are, inlined frames, files
    /// and lines kept (rebuilding them from their addresses collapsed Go's inlined frames).
    func testNamedProfilesAreWrittenAsTheyAre() throws {
        let out = scratch.appendingPathComponent("symbolized-\(getpid()).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        for fixture in ["heap.pb.gz", "allocs.pb.gz", "labels.pb.gz"] {
            let r = try CLI.memprof(["symbolize", CLI.fixture(fixture), "-o", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stderr.contains("already symbolized; written as is"), r.stderr)
            XCTAssertFalse(r.stderr.contains("not symbolized"), "nothing was read: \(r.stderr)")
            for report in [["traces", "--full-names"], ["top", "--granularity", "lines", "--full-names"]] {
                let before = try CLI.memprof(report + [CLI.fixture(fixture)])
                let after = try CLI.memprof(report + [out])
                XCTAssertEqual(after.status, 0, after.stderr)
                XCTAssertEqual(after.stdout, before.stdout, "\(fixture) \(report)")
            }
        }
    }
}
