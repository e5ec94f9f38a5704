import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// Random profiles, written with `encoded()`, reported by us and by `go tool pprof`; the
/// outputs must be identical line for line.
final class DifferentialTests: XCTestCase {
    /// 50 by default; `MEMPROF_DIFF_COUNT` runs more (seeds continue the same sequence).
    static let profileCount = Int(ProcessInfo.processInfo.environment["MEMPROF_DIFF_COUNT"] ?? "") ?? 50

    override func setUp() { useUTC() }

    /// Flag sets for one profile: `top` with the default, a chosen sample index, cumulative
    /// order with a node count, one of the other options; then `traces` or `peek`.
    static func flagSets(for p: Profile, _ f: inout RandomProfileFactory) -> [[String]] {
        let index = f.chance(0.5) ? p.sampleTypes[f.int(0...p.sampleTypes.count - 1)].type
            : String(f.int(0...p.sampleTypes.count - 1))
        let extras: [[String]] = [
            ["-nodefraction=0"], ["-nodefraction=0.05"], ["-nodecount=1"], ["-focus=pkg1"],
            ["-ignore=pkg2"], ["-hide=fn1"], ["-show=pkg3"], ["-show_from=pkg0"], ["-lines"],
            ["-files"], ["-filefunctions"], ["-addresses"], ["-noinlines"], ["-drop_negative"],
            ["-unit=kB"], ["-divide_by=3"], ["-focus=libfoo", "-cum"], ["-ignore=\\[vdso\\]"],
            ["-focus=fn1$", "-hide=Zed|same"], ["-show=pkg3|Zed", "-lines", "-cum"], ["-files", "-cum"],
            ["-mean"], ["-mean", "-cum", "-nodecount=4"], ["-mean", "-lines", "-divide_by=7"],
        ]
        let others: [[String]] = [
            ["-traces"], ["-traces", "-focus=pkg0", "-lines"], ["-peek=pkg[0-3]|Zed"], ["-peek=fn1|Method", "-cum"],
            ["-peek=.", "-hide=pkg2"], ["-traces", "-mean"], ["-peek=fn1|Method", "-mean"],
        ]
        return [
            ["-top"],
            ["-top", "-sample_index=\(index)"],
            ["-top", "-cum", "-nodecount=\(f.int(1...12))"],
            ["-top", "-sample_index=\(index)"] + f.pick(extras),
            ["-sample_index=\(index)"] + f.pick(others),
        ]
    }

    func testReportsMatchGoPprof() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("random-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var compared = 0, matched = 0, bothFailed = 0, lines = 0, unordered = 0
        var failures: [String] = []
        for i in 0..<Self.profileCount {
            var factory = RandomProfileFactory(seed: 0x5EED_0000 + UInt64(i))
            let profile = factory.make()
            let file = dir.appendingPathComponent("p\(i).pb.gz")
            try Data(profile.encoded()).write(to: file)
            let reread = try Profile.parse(try [UInt8](Data(contentsOf: file)))
            for flags in Self.flagSets(for: profile, &factory) {
                compared += 1
                let args = PprofArgs(flags)
                let go = Result { try GoPprof.run(flags + [file.path]) }
                let (report, options) = args.report()
                let ours = Result { try report.render(ReportContext(profile: reread, options: options)) }
                switch (ours, go) {
                case let (.success(a), .success(b)) where a == b:
                    matched += 1
                    lines += a.split(separator: "\n").count
                case let (.failure(a), .failure(b)):
                    if ProcessInfo.processInfo.environment["MEMPROF_DEBUG"] != nil { print("both failed: \(a) | \(b)") }
                    matched += 1
                    bothFailed += 1
                case let (.success(a), .success(b)) where flags.contains(where: { $0.hasPrefix("-peek") })
                    && Self.orderingTiedEdges(a) == Self.orderingTiedEdges(b):
                    // pprof orders edges of equal absolute weight but opposite sign at random
                    // (its comparator calls them equal); everything else must be identical.
                    matched += 1
                    unordered += 1
                case let (.success(a), .success(b)):
                    failures.append("p\(i) \(args): \(firstDifference(a, b) ?? "")")
                default:
                    failures.append("p\(i) \(args): ours \(ours), go \(go)")
                }
            }
        }
        print("differential top/traces/peek: \(matched)/\(compared) outputs identical over \(Self.profileCount) profiles"
            + " (\(lines) lines; \(bothFailed) rejected by both; \(unordered) equal up to go's random edge order)")
        XCTAssertLessThan(bothFailed, compared / 10, "most comparisons must produce output")
        XCTAssertEqual(matched, compared, failures.prefix(10).joined(separator: "\n"))
    }

    /// `peek` output with each run of adjacent edge lines of the same absolute weight put in
    /// text order: the only freedom pprof's own output has.
    static func orderingTiedEdges(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        func weight(_ line: String) -> String? {
            guard line.count > 52, line.hasPrefix(String(repeating: " ", count: 20)), line.contains(" |   ") else { return nil }
            return String(line.prefix(50)).trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "-", with: "")
        }
        var i = 0
        while i < lines.count {
            guard let w = weight(lines[i]) else { i += 1; continue }
            var j = i + 1
            while j < lines.count, weight(lines[j]) == w { j += 1 }
            lines[i..<j].sort()
            i = j
        }
        return lines
    }
}

final class DifferentialEdgeCaseTests: XCTestCase {
    override func setUp() { useUTC() }

    static func base() -> Profile {
        var p = Profile()
        p.sampleTypes = [ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes")]
        p.mappings = [Mapping(id: 1, start: 0x1000, limit: 0x2000, file: "/bin/edge", hasFunctions: true)]
        p.functions = [Function(id: 1, name: "a"), Function(id: 2, name: "b")]
        p.locations = [Location(id: 1, mappingID: 1, address: 0x1010, lines: [Line(functionID: 1)]),
                       Location(id: 2, mappingID: 1, address: 0x1020, lines: [Line(functionID: 2)])]
        return p
    }

    static var cases: [(String, Profile)] {
        var noSamples = base()
        noSamples.samples = []
        var zeros = base()
        zeros.samples = [Sample(locationIDs: [1, 2], values: [0, 0])]
        var emptyStack = base()
        emptyStack.samples = [Sample(locationIDs: [], values: [3, 300]), Sample(locationIDs: [1], values: [1, 100])]
        var noMappings = base()
        noMappings.mappings = []
        noMappings.locations = noMappings.locations.map { var l = $0; l.mappingID = 0; return l }
        noMappings.samples = [Sample(locationIDs: [2, 1], values: [1, 4096])]
        var recursion = base()
        recursion.samples = [Sample(locationIDs: [1, 1, 1, 2, 1], values: [7, 7_000_000])]
        var oneZeroValue = base()
        oneZeroValue.samples = [Sample(locationIDs: [1], values: [0, 10]), Sample(locationIDs: [2], values: [5, 0])]
        var urlMapping = base()
        urlMapping.mappings[0].file = "https://example.com/app.bin"
        urlMapping.locations.append(Location(id: 3, mappingID: 1, address: 0x1030))
        urlMapping.samples = [Sample(locationIDs: [3, 1], values: [1, 64])]
        return [("url-mapping", urlMapping), ("no-samples", noSamples), ("zeros", zeros), ("empty-stack", emptyStack),
                ("no-mappings", noMappings), ("recursion", recursion), ("one-zero-value", oneZeroValue)]
    }

    func testEdgeCases() throws {
        let dir = GoPprof.scratch.appendingPathComponent("edge-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, profile) in Self.cases {
            let file = dir.appendingPathComponent(name + ".pb.gz")
            try Data(profile.encoded()).write(to: file)
            let reread = try Profile.parse(try [UInt8](Data(contentsOf: file)))
            for flags in [["-top"], ["-top", "-sample_index=0", "-cum"], ["-traces"], ["-peek=a|b"]] {
                let args = PprofArgs(flags)
                let (report, options) = args.report()
                let ours = Result { try report.render(ReportContext(profile: reread, options: options)) }
                let go = Result { try GoPprof.run(flags + [file.path]) }
                switch (ours, go) {
                case let (.success(a), .success(b)):
                    XCTAssertEqual(a, b, "\(name) \(args): \(firstDifference(a, b) ?? "")")
                case (.failure, .failure): break
                default: XCTFail("\(name) \(args): ours \(ours), go \(go)")
                }
            }
        }
    }
}
