import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// The flame graph page: a golden file of the whole page for a fixed profile (re-recorded
/// from our own output with `MEMPROF_RECORD=1`), the embedded data checked against the
/// profile, and the page rendered by headless Chromium.
final class FlameGraphTests: XCTestCase {
    override func setUp() { useUTC() }

    static func page(_ options: ReportOptions = ReportOptions(simplifyNames: true)) throws -> String {
        try FlameGraphReport().render(ReportContext(profile: SwiftSampleProfile.make(), options: options))
    }

    func testGoldenPage() throws {
        let html = try Self.page()
        let golden = TestPaths.golden.appendingPathComponent("flame_swift-sample.html")
        if recordingGolden { try html.write(to: golden, atomically: true, encoding: .utf8) }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        XCTAssertEqual(html, expected, firstDifference(html, expected) ?? "")
    }

    /// The JSON inside the page.
    static func embeddedData(_ html: String) throws -> [String: Any] {
        let open = "<script type=\"application/json\" id=\"flame-data\">"
        let start = try XCTUnwrap(html.range(of: open)).upperBound
        let end = try XCTUnwrap(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        let object = try JSONSerialization.jsonObject(with: Data(html[start..<end].utf8))
        return try XCTUnwrap(object as? [String: Any])
    }

    func testEmbeddedDataMatchesProfile() throws {
        let html = try Self.page()
        XCTAssertTrue(html.contains("<title>Flame graph: modeld</title>"))
        XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains(" src="),
                       "the page must not load anything")
        let data = try Self.embeddedData(html)
        let names = try XCTUnwrap(data["names"] as? [String]), short = try XCTUnwrap(data["short"] as? [String])
        XCTAssertEqual(data["initial"] as? Int, 3, "inuse_space, the default sample type, is shown first")
        XCTAssertTrue(names.contains("generic specialization <Swift.Int> of Swift.Array.append(__owned A) -> ()"))
        XCTAssertTrue(short.contains("specialized Array.append(__owned A) -> ()"), "readable names: \(short)")
        XCTAssertTrue(short.contains("closure #1 in run() -> ()"), "\(short)")
        XCTAssertTrue(short.contains("foo::Bar::Bar()") && short.contains("main"), "\(short)")
        let types = try XCTUnwrap(data["types"] as? [[String: Any]])
        XCTAssertEqual(types.map { $0["type"] as? String }, ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"])
        let profile = SwiftSampleProfile.make()
        for (t, type) in types.enumerated() {
            let root = try XCTUnwrap(type["root"] as? [Any])
            let expectedTotal = profile.samples.reduce(Int64(0)) { $0 + abs($1.values[t]) }
            XCTAssertEqual((root[1] as? NSNumber)?.int64Value, expectedTotal)
            XCTAssertEqual((type["total"] as? NSNumber)?.int64Value, expectedTotal)
            try Self.checkTree(root, names: names)
        }
        XCTAssertEqual((types[1]["units"] as? [[Any]])?.count, 6, "bytes print as B, kB, MB, GB, TB, PB")
        XCTAssertEqual((types[0]["units"] as? [[Any]])?.count, 0, "counts print as plain numbers")
        // `main` calls `load` (1), `run` and allocates itself: 64+24+12+6 MB under load.
        let allocSpace = try XCTUnwrap(types[1]["root"] as? [Any])
        let main = try XCTUnwrap((allocSpace[3] as? [[Any]])?.first)
        XCTAssertEqual(names[try XCTUnwrap(main[0] as? Int)], "main")
        let load = try XCTUnwrap((main[3] as? [[Any]])?.first { names[$0[0] as! Int] == "main.Model.load() -> ()" })
        XCTAssertEqual((load[1] as? NSNumber)?.int64Value, Int64(106) << 20)
    }

    /// Children are sorted by name and never wider than their parent.
    static func checkTree(_ node: [Any], names: [String]) throws {
        let width = try XCTUnwrap(node[1] as? NSNumber).int64Value
        guard node.count > 3 else { return }
        let children = try XCTUnwrap(node[3] as? [[Any]])
        XCTAssertLessThanOrEqual(children.reduce(Int64(0)) { $0 + (($1[1] as? NSNumber)?.int64Value ?? 0) }, width)
        let childNames = children.map { names[$0[0] as! Int] }
        XCTAssertEqual(childNames, childNames.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for c in children { try checkTree(c, names: names) }
    }

    func testDiffWidthsAreAbsolute() throws {
        let p = SwiftSampleProfile.make()
        var base = p
        base.samples = base.samples.map { var s = $0; s.values = s.values.map { $0 * 2 }; return s }
        let diff = try ReportInput.combine(profile: p, diffBase: base)
        let html = try FlameGraphReport(title: "diff <&>").render(ReportContext(profile: diff))
        XCTAssertTrue(html.contains("<title>Flame graph: diff &lt;&amp;&gt;</title>"))
        let types = try XCTUnwrap(Self.embeddedData(html)["types"] as? [[String: Any]])
        let root = try XCTUnwrap(types[3]["root"] as? [Any])
        let inuse = p.samples.reduce(Int64(0)) { $0 + $1.values[3] }
        XCTAssertEqual((root[1] as? NSNumber)?.int64Value, inuse, "width: absolute values")
        XCTAssertEqual((root[2] as? NSNumber)?.int64Value, -inuse, "value: signed (everything shrank)")
        XCTAssertEqual((types[3]["total"] as? NSNumber)?.int64Value, 2 * inuse, "percentages of the base's total")
    }

    func testFiltersApply() throws {
        let html = try Self.page(ReportOptions(focus: "closure", simplifyNames: true))
        let data = try Self.embeddedData(html)
        let names = try XCTUnwrap(data["names"] as? [String])
        XCTAssertFalse(names.contains("main.Model.load() -> ()"))
        let root = try XCTUnwrap((data["types"] as? [[String: Any]])?[1]["root"] as? [Any])
        XCTAssertEqual((root[1] as? NSNumber)?.int64Value, Int64(23) << 20)
    }
}
