import MemprofAnalysis
import MemprofProfile
import XCTest

/// `top` on small hand-made profiles whose answers can be worked out by hand.
final class TopReportTests: XCTestCase {
    /// Functions 1...n named `f1`...; location i holds function i (or an inline chain).
    static func profile(_ stacks: [([UInt64], Int64)], inline: [UInt64: [UInt64]] = [:],
                        functions n: UInt64 = 6) -> Profile {
        var p = Profile()
        p.sampleTypes = [ValueType(type: "alloc_space", unit: "bytes")]
        p.mappings = [Mapping(id: 1, start: 0x1000, limit: 0x9000, file: "/bin/app", hasFunctions: true)]
        p.functions = (1...n).map { Function(id: $0, name: "f\($0)", systemName: "f\($0)") }
        p.locations = (1...n).map { id in
            let chain = inline[id] ?? [id]
            return Location(id: id, mappingID: 1, address: 0x1000 + id * 16,
                            lines: chain.map { Line(functionID: $0) })
        }
        p.samples = stacks.map { Sample(locationIDs: $0.0, values: [$0.1]) }
        return p
    }

    func rows(_ p: Profile, _ o: ReportOptions = ReportOptions()) throws -> [String] {
        try TopReport().rows(ReportContext(profile: p, options: o)).rows.map {
            "\($0.name) \($0.flat) \($0.cum)" + ($0.inlineLabel.isEmpty ? "" : " " + $0.inlineLabel)
        }
    }

    func testRecursionCountsOnceInCum() throws {
        // f1 <- f2 <- f1 <- f3 (leaf first): f1 is on the stack twice.
        let p = Self.profile([([1, 2, 1, 3], 100), ([2, 3], 50)])
        XCTAssertEqual(try rows(p), ["f1 100 100", "f2 50 150", "f3 0 150"])
    }

    func testFlatTiesSortByName() throws {
        let p = Self.profile([([3], 10), ([1], 10), ([2], 10), ([4, 2], 5)])
        XCTAssertEqual(try rows(p), ["f1 10 10", "f2 10 15", "f3 10 10", "f4 5 5"])
    }

    func testCumulativeOrder() throws {
        let p = Self.profile([([1, 2, 3], 10), ([2, 3], 20), ([4], 25)])
        let o = ReportOptions(cumulative: true)
        XCTAssertEqual(try rows(p, o), ["f2 20 30", "f3 0 30", "f4 25 25", "f1 10 10"])
    }

    func testInlineLabels() throws {
        // Location 5 is f5 inlined into f6; f5 is also called directly from location 2 (f2).
        let p = Self.profile([([5, 1], 10), ([5, 2], 10), ([1], 1)], inline: [5: [5, 6]])
        XCTAssertEqual(try rows(p), ["f5 20 20 (inline)", "f1 1 11", "f2 0 10", "f6 0 20"])
        let q = Self.profile([([5, 1], 10), ([4, 5, 2], 10)], inline: [5: [5, 6]])
        // f5 reached as an inline callee of f6; f4 called from f5 (not inline).
        XCTAssertEqual(try rows(q), ["f4 10 10", "f5 10 20 (inline)", "f1 0 10", "f2 0 10", "f6 0 20"])
    }

    func testNodeFractionDropsAndHeader() throws {
        // Total 1000: cutoff 5; f4 (cum 4) is dropped and its value leaves the shown sum.
        let p = Self.profile([([1], 996), ([4], 4)])
        let (rows, labels, total) = try TopReport().rows(ReportContext(profile: p))
        XCTAssertEqual(total, 1000)
        XCTAssertEqual(rows.map(\.name), ["f1"])
        XCTAssertEqual(labels, ["File: app", "Type: alloc_space",
                                "Showing nodes accounting for 996B, 99.60% of 1000B total",
                                "Dropped 1 node (cum <= 5B)"])
    }

    func testNodeCountAndNegativeValues() throws {
        let p = Self.profile([([1], 300), ([2], -200), ([3, 2], 100)])
        let out = try TopReport().render(ReportContext(profile: p, options: ReportOptions(nodeCount: 2)))
        XCTAssertEqual(out, """
            File: app
            Type: alloc_space
            Showing nodes accounting for 100B, 16.67% of 600B total
            Showing top 2 nodes out of 3
                  flat  flat%   sum%        cum   cum%
                  300B 50.00% 50.00%       300B 50.00%  f1
                 -200B 33.33% 16.67%      -100B 16.67%  f2

            """)
    }

    func testDuplicateSamplesMergeBeforeTotal() throws {
        // Two samples with the same stack merge to 2 before the total of absolute values.
        let p = Self.profile([([1], 5), ([1], -3), ([2], 2)])
        XCTAssertEqual(try TopReport().rows(ReportContext(profile: p)).total, 4)
    }

    func testSampleIndexErrors() throws {
        let p = Self.profile([([1], 5)])
        XCTAssertThrowsError(try TopReport().render(ReportContext(profile: p, options: ReportOptions(sampleIndex: "nope"))))
        XCTAssertThrowsError(try TopReport().render(ReportContext(profile: p, options: ReportOptions(sampleIndex: "3"))))
        XCTAssertNoThrow(try TopReport().render(ReportContext(profile: p, options: ReportOptions(sampleIndex: "0"))))
    }
}
