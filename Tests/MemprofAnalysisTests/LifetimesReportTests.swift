import MemprofAnalysis
import MemprofProfile
import XCTest

/// `memprof lifetimes` on a fixed profile: sites by allocated objects, freed blocks' median and
/// p90 class, the temporaries' share, and the estimate note at rates below 64 KiB. Golden files
/// `lifetimes_*.txt` (`MEMPROF_RECORD=1` re-records them from this code).
final class LifetimesReportTests: XCTestCase {
    /// Three sites: `churn` (temporaries, short lives), `cache` (some live, long lives) and
    /// `lost` (frees whose lifetime is unknown).
    static func profile(rate: Int64) -> Profile {
        var p = Profile()
        p.sampleTypes = [
            ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
            ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes"),
            ValueType(type: "temporary_objects", unit: "count"), ValueType(type: "temporary_space", unit: "bytes"),
        ]
        p.defaultSampleType = "inuse_space"
        p.periodType = ValueType(type: "space", unit: "bytes")
        p.period = rate
        p.functions = ["churn", "cache", "lost", "main"].enumerated().map { Function(id: UInt64($0 + 1), name: $1) }
        p.locations = (1...4).map { Location(id: UInt64($0), address: UInt64(0x1000 * $0), lines: [Line(functionID: UInt64($0))]) }
        func sample(_ leaf: UInt64, _ objects: Int64, live: Bool = false, temporaries: Int64 = 0, _ lifetime: String) -> Sample {
            Sample(locationIDs: [leaf, 4], values: [objects, objects * 64, live ? objects : 0, live ? objects * 64 : 0,
                                                    temporaries, temporaries * 64],
                   labels: ["lifetime": [lifetime]])
        }
        p.samples = [
            sample(1, 900, temporaries: 900, "<1us"), sample(1, 80, temporaries: 20, "1us-10us"),
            sample(1, 20, "10us-100us"),
            sample(2, 30, live: true, "live"), sample(2, 5, "100ms-1s"), sample(2, 15, "1s-10s"),
            sample(3, 7, "unknown"),
        ]
        return p
    }

    private func check(rate: Int64, golden name: String) throws -> String {
        let out = try LifetimesReport().render(ReportContext(profile: Self.profile(rate: rate), options: ReportOptions()))
        let golden = TestPaths.golden.appendingPathComponent(name)
        if recordingGolden { try out.write(to: golden, atomically: true, encoding: .utf8) }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        XCTAssertEqual(out, expected, firstDifference(out, expected) ?? "")
        return out
    }

    func testSitesAtTheDefaultRate() throws {
        let out = try check(rate: 524_288, golden: "lifetimes_sample.txt")
        let rows = out.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // churn: 1000 allocated and freed, 92% temporaries, median <1us, p90 <1us (900 of 1000).
        XCTAssertEqual(rows.first { $0.last == "churn" }, ["1000", "1000", "0", "92.0%", "<1us", "<1us", "churn"])
        // cache: 30 live, 20 freed (median 1s-10s: 5 in 100ms-1s, 15 above).
        XCTAssertEqual(rows.first { $0.last == "cache" }, ["50", "20", "30", "0.0%", "1s-10s", "1s-10s", "cache"])
        // lost: freed with no known lifetime, so no median.
        XCTAssertEqual(rows.first { $0.last == "lost" }, ["7", "7", "0", "0.0%", "-", "-", "lost"])
        XCTAssertFalse(out.contains("estimated"), out)
    }

    func testRateOneSaysTheClassesAreEstimated() throws {
        let out = try check(rate: 1, golden: "lifetimes_sample_rate1.txt")
        XCTAssertTrue(out.hasSuffix("At rate 1 (below 64 KiB) a site's blocks after its first 64 are timed one in 16;"
            + " the classes of the others are estimated from them.\n"), out)
        XCTAssertFalse(try LifetimesReport().render(ReportContext(profile: Self.profile(rate: 65_536), options: ReportOptions()))
            .contains("estimated"))
    }
}
