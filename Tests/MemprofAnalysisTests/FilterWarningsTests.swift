import MemprofAnalysis
import MemprofProfile
import XCTest

/// pprof's warnings about filters that matched nothing, compared with what go tool pprof
/// writes on standard error for the same flags on the same profile.
final class FilterWarningsTests: XCTestCase {
    /// Flags (pprof spelling) and our options for the same filters.
    static let cases: [([String], ReportOptions)] = {
        func o(_ change: (inout ReportOptions) -> Void) -> ReportOptions {
            var o = ReportOptions(nodeCount: 5)
            change(&o)
            return o
        }
        return [
            (["-focus=zzzq"], o { $0.focus = "zzzq" }),
            (["-focus=main"], o { $0.focus = "main" }),
            (["-ignore=zzzq", "-hide=zzzq"], o { $0.ignore = "zzzq"; $0.hide = "zzzq" }),
            (["-show=zzzq", "-show_from=zzzq"], o { $0.show = "zzzq"; $0.showFrom = "zzzq" }),
            (["-show_from=main", "-hide=runtime"], o { $0.showFrom = "main"; $0.hide = "runtime" }),
            (["-tagfocus=zzzq", "-tagignore=zzzq"], o { $0.tagFocus = "zzzq"; $0.tagIgnore = "zzzq" }),
            // The name filter leaves no sample: the tag filter then matches none either.
            (["-focus=zzzq", "-tagfocus=bytes=1:"], o { $0.focus = "zzzq"; $0.tagFocus = "bytes=1:" }),
            (["-tagfocus=bytes=1:"], o { $0.tagFocus = "bytes=1:" }),
        ]
    }()

    func testWarningsAsPprofWritesThem() throws {
        try XCTSkipUnless(GoPprof.isAvailable, "needs go (apt-get install golang-go)")
        let file = TestPaths.goFixture("labels.pb.gz")
        let profile = try loadProfile(file)
        var warned = 0
        for (flags, options) in Self.cases {
            let go = try GoPprof.runWithErrors(["-top", "-nodecount=5"] + flags + [file.path]).errors
                .split(separator: "\n").map(String.init).filter { $0.hasSuffix("matched no samples") }
            let collected = Collected()
            _ = try TopReport().render(ReportContext(profile: profile, options: options) { collected.add($0) })
            XCTAssertEqual(collected.all, go, "\(flags)")
            warned += go.isEmpty ? 0 : 1
        }
        // Both kinds are covered: most cases warn, some do not.
        XCTAssertGreaterThanOrEqual(warned, 5)
        XCTAssertLessThan(warned, Self.cases.count)
    }

    func testEveryReportPassesItsWarningsOn() throws {
        let profile = try loadProfile(TestPaths.goFixture("labels.pb.gz"))
        var o = ReportOptions()
        o.focus = "zzzq"
        let reports: [any Report] = [TopReport(), TracesReport(), FlameGraphReport(title: "t")]
        for report in reports {
            let collected = Collected()
            _ = try? report.render(ReportContext(profile: profile, options: o) { collected.add($0) })
            XCTAssertEqual(collected.all, ["Focus expression matched no samples"], report.name)
        }
    }
}

private final class Collected: @unchecked Sendable {
    private(set) var all: [String] = []
    func add(_ s: String) { all.append(s) }
}
