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
        XCTAssertGreaterThanOrEqual(rss.count, 20, "read every 20 ms over ~1 s")
        XCTAssertEqual(live.count, rss.count + 1, "the readings, then the exact value at exit")
        XCTAssertEqual(live.map(\.x), live.map(\.x).sorted(), "in time order")
        XCTAssertGreaterThan(live.first!.y - live.map(\.y).min()!, 150, "the line climbs most of the 300-pixel plot")
        for (l, r) in zip(live, rss) { XCTAssertLessThanOrEqual(r.y, l.y + 0.5, "RSS is at least the live heap") }
        // The exact peak: a level at or above every reading (y grows downwards).
        let peak = try XCTUnwrap(html.firstMatch(of: #/<line class="peak" x1="[0-9.]+" x2="[0-9.]+" y1="([0-9.]+)"/#))
        let peakY = try XCTUnwrap(Double(peak.output.1))
        XCTAssertLessThanOrEqual(peakY, live.map(\.y).min()! + 0.5, "the peak is at least every reading")
        XCTAssertTrue(html.contains(">peak 30"), "labelled with the exact peak")
    }
}
