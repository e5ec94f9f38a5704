import MemprofAnalysis
import MemprofProfile
import XCTest

/// `ReportOptions.simplifyNames`: readable Swift names in every report, mangled names
/// demangled, other languages' names left alone; off by default.
final class SimplifyNamesTests: XCTestCase {
    override func setUp() { useUTC() }

    func names(_ report: TopReport, _ profile: Profile, simplify: Bool, focus: String? = nil) throws -> [String] {
        let options = ReportOptions(sampleIndex: "alloc_space", nodeFraction: 0, focus: focus, simplifyNames: simplify)
        return try report.rows(ReportContext(profile: profile, options: options)).rows.map(\.name)
    }

    func testTopShowsReadableNamesOnlyWhenAsked() throws {
        let p = SwiftSampleProfile.make()
        let full = try names(TopReport(), p, simplify: false)
        let short = try names(TopReport(), p, simplify: true)
        XCTAssertTrue(full.contains("generic specialization <Swift.Int> of Swift.Array.append(__owned A) -> ()"))
        XCTAssertTrue(full.contains("main.Model.decode(from: Swift.String) throws -> [Swift.String : [Swift.Int]]"))
        XCTAssertEqual(Set(short), [
            "malloc", "main", "swift_allocObject", "foo::Bar::Bar()", "Model.load() -> ()", "run() -> ()",
            "specialized Array.append(__owned A) -> ()", "closure #1 in run() -> ()",
            "Model.decode(from: String) throws -> [String : [Int]]",
            "Dictionary.init(dictionaryLiteral: (A, B)...) -> [A : B]",
        ])
        // Filters see the names the report shows.
        XCTAssertEqual(try names(TopReport(), p, simplify: true, focus: "^Model\\.decode").count, 6)
        XCTAssertEqual(try names(TopReport(), p, simplify: false, focus: "^Model\\.decode").count, 0)
    }

    func testMangledNamesAreDemangled() throws {
        var p = SwiftSampleProfile.make()
        for i in p.functions.indices { p.functions[i].name = p.functions[i].systemName }
        // Nothing but mangled names (an external symbolizer's): compact names, as memprof writes.
        let short = try names(TopReport(), p, simplify: true)
        XCTAssertTrue(short.contains("main.Model.load()"), "\(short)")
        XCTAssertTrue(short.contains("Swift.Array.append(_:) [specialized]"), "\(short)")
        XCTAssertTrue(short.contains("foo::Bar::Bar"), "C++ names demangled, parameters dropped as pprof does: \(short)")
        XCTAssertTrue(try names(TopReport(), p, simplify: false).contains("$s4main5ModelC4loadyyF"))
    }

    func testGoNamesAreUnchanged() throws {
        let heap = try loadProfile(TestPaths.goFixture("heap.pb.gz"))
        let options = ReportOptions(sampleIndex: "alloc_space")
        var simplified = options
        simplified.simplifyNames = true
        XCTAssertEqual(try TopReport().render(ReportContext(profile: heap, options: simplified)),
                       try TopReport().render(ReportContext(profile: heap, options: options)))
        XCTAssertEqual(try ListReport("bigBytes").render(ReportContext(profile: heap, options: simplified)),
                       try ListReport("bigBytes").render(ReportContext(profile: heap, options: options)))
    }
}
