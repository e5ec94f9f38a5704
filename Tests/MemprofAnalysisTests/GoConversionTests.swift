import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// Go's `int64(float64)` out of range, as go tool pprof computes cutoffs and scalings on amd64:
/// NaN and anything outside [-2^63, 2^63) give Int64.min. A node fraction above 1 of a large
/// total makes pprof's cutoff Int64.min (negative: nothing is dropped), where saturating at
/// Int64.max dropped every node.
final class GoConversionTests: XCTestCase {
    func testOutOfRangeIsInt64Min() {
        XCTAssertEqual(goInt64(3.9), 3)
        XCTAssertEqual(goInt64(-3.9), -3)
        XCTAssertEqual(goInt64(-9_223_372_036_854_775_808.0), .min)
        XCTAssertEqual(goInt64(9_223_372_036_854_775_808.0), .min)
        XCTAssertEqual(goInt64(-1e300), .min)
        XCTAssertEqual(goInt64(.infinity), .min)
        XCTAssertEqual(goInt64(.nan), .min)
    }

    func testHugeTotalsAgreeWithGoPprof() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        var p = Profile()
        p.sampleTypes = [ValueType(type: "contentions", unit: "count"), ValueType(type: "delay", unit: "nanoseconds")]
        p.periodType = ValueType(type: "contentions", unit: "count")
        p.period = 1
        p.functions = [Function(id: 1, name: "main.lock"), Function(id: 2, name: "main.main")]
        p.locations = [Location(id: 1, address: 0x1000, lines: [Line(functionID: 1)]),
                       Location(id: 2, address: 0x2000, lines: [Line(functionID: 2)])]
        p.samples = [Sample(locationIDs: [1, 2], values: [2_312_848_608_634_048_056, 149_529_360]),
                     Sample(locationIDs: [2], values: [100, 66_504_882])]
        let file = GoPprof.scratch.appendingPathComponent("huge-\(getpid()).pb.gz")
        try Data(p.encoded()).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for flags in [["-top", "-nodefraction=5"], ["-top", "-nodefraction=5", "-cum"], ["-top", "-sample_index=0", "-nodefraction=2"],
                      ["-traces", "-nodefraction=5"]] {
            let go = try GoPprof.run(flags + [file.path])
            let args = PprofArgs(flags)
            let (report, options) = args.report()
            let ours = try report.render(ReportContext(profile: try Profile.parse(try [UInt8](Data(contentsOf: file))), options: options))
            XCTAssertEqual(ours, go, "\(flags): \(firstDifference(ours, go) ?? "")")
        }
    }
}
