import XCTest

@testable import Memprof

/// The memprof hook's own mappings in a breakdown of canned smaps text.
final class ProfilerRangesTests: XCTestCase {
    /// Anonymous mappings inside the hook's recorded ranges are the profiler's; a mapping only
    /// partly inside, or a file inside them, is not.
    func testProfilerRangesNameTheHooksOwnMappings() {
        var text = smapsEntry("7dfc00000000-7dfc00100000", "rw-p", rss: 40, dirty: 40, flags: "rd wr mr mw me nr ac")
        text += smapsEntry("7dfc00200000-7dfc00300000", "rw-p", rss: 8, dirty: 8, flags: "rd wr mr mw me nr ac")
        text += smapsEntry("7dfc00400000-7dfc00500000", "rw-p", rss: 4, dirty: 4)
        text += smapsEntry("7dfc00600000-7dfc00601000", "r--p", path: "/usr/lib/libz.so", rss: 4)
        text += smapsEntry("7f1470000000-7f1470100000", "rw-p", rss: 64, dirty: 64)
        let ranges: [Range<UInt64>] = [
            0x7dfc00000000..<0x7dfc00080000, 0x7dfc00080000..<0x7dfc00100000,  // one mapping, two tables
            0x7dfc00200000..<0x7dfc00300000,
            0x7dfc00400000..<0x7dfc00480000,  // half of the third
            0x7dfc00600000..<0x7dfc00700000,
        ]
        let breakdown = ProcessMemory.Breakdown(smaps: text, profilerRanges: ranges.reversed())
        XCTAssertEqual(breakdown.mappings.map(\.category), [.profiler, .profiler, .anonymous, .file, .anonymous])
        let ours = breakdown.groups(in: .profiler)
        XCTAssertEqual(ours.map(\.name), ["memprof"])
        XCTAssertEqual(ours.first?.usage.residentBytes, 48 * 1024)
        XCTAssertEqual(ours.first?.usage.virtualBytes, 2 << 20)
        XCTAssertEqual(breakdown.groups.map(\.name), ["anonymous", "memprof", "/usr/lib/libz.so"])
        XCTAssertTrue(breakdown.description.contains("memprof (the profiler's own tables)"), breakdown.description)
        XCTAssertEqual(ProcessMemory.Breakdown(smaps: text).usage(of: .profiler), ProcessMemory.Usage())
    }

    func testMergedRangesAndCover() {
        let merged = SmapsClassifier.merged([20..<30, 0..<10, 10..<12, 25..<40, 50..<50, 60..<70])
        XCTAssertEqual(merged, [0..<12, 20..<40, 60..<70])
        XCTAssertTrue(SmapsClassifier.covers(merged, 0..<12))
        XCTAssertTrue(SmapsClassifier.covers(merged, 21..<40))
        XCTAssertFalse(SmapsClassifier.covers(merged, 11..<21))
        XCTAssertFalse(SmapsClassifier.covers(merged, 35..<61))
        XCTAssertFalse(SmapsClassifier.covers(merged, 70..<71))
        XCTAssertFalse(SmapsClassifier.covers([], 0..<1))
    }
}
