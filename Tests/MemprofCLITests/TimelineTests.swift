import Foundation
import XCTest

/// `memprof run --timeline FILE.html`: the chart of live heap and RSS over time.
final class TimelineTests: XCTestCase {
    func testTimelineOfAGrowingHeap() throws {
        let page = scratch.appendingPathComponent("timeline.html")
        try? FileManager.default.removeItem(at: page)
        // 300 blocks of 1 MiB, one every 2 ms, then 300 ms of quiet.
        let r = try CLI.memprof(["run", "--timeline", page.path, "--", product("memprof-workload"), "grow", "300"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("timeline of live heap and RSS ("), r.stderr)
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"), "self-contained")
        XCTAssertFalse(html.contains("<script"), "no script needed")
        XCTAssertTrue(html.contains("peak live heap 30"), "exact peak, about 300 MiB: \(html.prefix(600))")
        // Two lines; y grows downwards, so a growing heap has falling y values.
        func points(_ cls: String) throws -> [(x: Double, y: Double)] {
            let m = try XCTUnwrap(html.firstMatch(of: try Regex("<polyline class=\"\(cls)\" points=\"([^\"]*)\"")))
            let text = try XCTUnwrap(m.output[1].substring)
            return text.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            }
        }
        let live = try points("live"), rss = try points("rss")
        XCTAssertGreaterThanOrEqual(live.count, 20, "read every 20 ms over ~1 s")
        XCTAssertEqual(live.count, rss.count)
        XCTAssertEqual(live.map(\.x), live.map(\.x).sorted(), "in time order")
        XCTAssertGreaterThan(live.first!.y - live.map(\.y).min()!, 150, "the line climbs most of the 300-pixel plot")
        for (l, r) in zip(live, rss) { XCTAssertLessThanOrEqual(r.y, l.y + 0.5, "RSS is at least the live heap") }
    }
}
