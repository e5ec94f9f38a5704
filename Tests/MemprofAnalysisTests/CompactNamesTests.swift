import MemprofAnalysis
import MemprofProfile
import MemprofSymbolication
import XCTest

/// Profiles written with compact Swift names (`SwiftCompactName`) read as go tool pprof reads
/// them; `ReportOptions.fullNames` shows the signatures demangled from `system_name`; profiles
/// written with full names read as before.
final class CompactNamesTests: XCTestCase {
    override func setUp() { useUTC() }

    /// The sample profile as memprof writes it now: compact names for Swift functions.
    static func compactProfile() -> Profile {
        var p = SwiftSampleProfile.make()
        for i in p.functions.indices where Demangler.isSwiftMangled(p.functions[i].systemName) {
            p.functions[i].name = SwiftCompactName.compact(p.functions[i].name)
        }
        return p
    }

    func rows(_ profile: Profile, simplify: Bool, full: Bool = false) throws -> [String] {
        var options = ReportOptions(sampleIndex: "alloc_space", nodeFraction: 0, simplifyNames: simplify)
        options.fullNames = full
        return try TopReport().rows(ReportContext(profile: profile, options: options)).rows.map(\.name)
    }

    func testCompactNamesAreShownAsStoredWithOrWithoutSimplifying() throws {
        let p = Self.compactProfile()
        let shown = try rows(p, simplify: true)
        XCTAssertEqual(shown, try rows(p, simplify: false))
        XCTAssertEqual(Set(shown), [
            "malloc", "main", "swift_allocObject", "foo::Bar::Bar()", "main.Model.load()", "main.run()",
            "Swift.Array.append(_:) [specialized]", "closure #1 in main.run()", "main.Model.decode(from:)",
            "Swift.Dictionary.init(dictionaryLiteral:)",
        ])
        // The whole report too: byte for byte what the library's default (go tool pprof's view) prints.
        var simplified = ReportOptions(sampleIndex: "alloc_space")
        simplified.simplifyNames = true
        XCTAssertEqual(try TopReport().render(ReportContext(profile: p, options: simplified)),
                       try TopReport().render(ReportContext(profile: p, options: ReportOptions(sampleIndex: "alloc_space"))))
    }

    func testFullNamesAreDemangledFromSystemNames() throws {
        let full = try rows(Self.compactProfile(), simplify: false, full: true)
        for f in SwiftSampleProfile.functions where Demangler.isSwiftMangled(f.system) {
            XCTAssertTrue(full.contains(Demangler.demangle(f.system)), "\(Demangler.demangle(f.system)) in \(full)")
        }
        XCTAssertTrue(full.contains("main.Model.decode(from: Swift.String) throws -> [Swift.String : [Swift.Int]]"), "\(full)")
        XCTAssertTrue(full.contains("foo::Bar::Bar()") && full.contains("malloc"), "other names as stored: \(full)")
    }

    func testProfilesWithFullNamesReadAsBefore() throws {
        let old = SwiftSampleProfile.make()
        // --full-names shows what is stored; the default shortens as it always did.
        XCTAssertEqual(Set(try rows(old, simplify: false, full: true)), Set(SwiftSampleProfile.functions.map(\.name)))
        XCTAssertTrue(try rows(old, simplify: true).contains("specialized Array.append(__owned A) -> ()"))
    }

    func testGoProfilesAreUntouchedByFullNames() throws {
        let heap = try loadProfile(TestPaths.goFixture("heap.pb.gz"))
        var full = ReportOptions(sampleIndex: "alloc_space")
        full.fullNames = true
        XCTAssertEqual(try TopReport().render(ReportContext(profile: heap, options: full)),
                       try TopReport().render(ReportContext(profile: heap, options: ReportOptions(sampleIndex: "alloc_space"))))
    }

    func testFlameGraphOffersCompactAndFullNames() throws {
        let html = try FlameGraphReport().render(ReportContext(profile: Self.compactProfile(),
                                                               options: ReportOptions(simplifyNames: true)))
        XCTAssertTrue(html.contains("\"main.Model.decode(from:)\""), "short names are the compact ones")
        XCTAssertTrue(html.contains("main.Model.decode(from: Swift.String) throws"),
                      "full names are the demangled signatures")
        XCTAssertTrue(html.contains("\"fullNames\":false"), "opens with the compact names")
    }
}
