import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// `-base` and `-diff_base`: random profiles and bases made from them (some stacks equal,
/// some grown or shrunk, some gone, some new; mappings moved; times missing; units in
/// kilobytes), combined by `ReportInput.combine` and reported by us, and by
/// `go tool pprof -base/-diff_base`; outputs must be identical.
final class DiffBaseTests: XCTestCase {
    override func setUp() { useUTC() }

    /// A base for `p`: its samples perturbed, mappings shifted (as after a restart with
    /// address randomisation), and sometimes its byte values given in kilobytes.
    static func base(of p: Profile, _ f: inout RandomProfileFactory) -> Profile {
        var b = p
        b.samples = []
        for s in p.samples {
            var s = s
            switch f.int(0...9) {
            case 0...2: break
            case 3...5: s.values = s.values.map { $0 / Int64(f.int(1...4)) + Int64(f.int(0...3)) }
            case 6, 7: continue
            default: s.values = s.values.map { _ in f.value(style: 1) }
            }
            b.samples.append(s)
            if f.chance(0.1), !s.locationIDs.isEmpty {
                b.samples.append(Sample(locationIDs: Array(s.locationIDs.dropFirst()), values: s.values))
            }
        }
        if f.chance(0.5) {
            let shift: UInt64 = 0x10_0000
            for i in b.mappings.indices {
                b.mappings[i].start += shift
                b.mappings[i].limit += shift
            }
            let mapped = Set(b.mappings.map(\.id))
            for i in b.locations.indices where mapped.contains(b.locations[i].mappingID) { b.locations[i].address += shift }
        }
        if f.chance(0.3) { b.timeNanos = 0 } else if f.chance(0.5) { b.timeNanos = p.timeNanos - 1_000_000_000 }
        if f.chance(0.3) { b.durationNanos = Int64(f.int(1...10_000_000_000)) }
        if f.chance(0.2) { b.comments = ["base comment"] }
        if f.chance(0.2), let i = b.sampleTypes.firstIndex(where: { $0.unit == "bytes" }) {
            b.sampleTypes[i].unit = "kilobytes"
            for j in b.samples.indices { b.samples[j].values[i] /= 1024 }
        }
        return b
    }

    func testBaseAndDiffBaseMatchGoPprof() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("diff-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var compared = 0, matched = 0, bothFailed = 0, lines = 0, unordered = 0
        var failures: [String] = []
        for i in 0..<DifferentialTests.profileCount {
            var factory = RandomProfileFactory(seed: 0xD1FF_0000 + UInt64(i))
            let profile = factory.make()
            let base = Self.base(of: profile, &factory)
            let file = dir.appendingPathComponent("p\(i).pb.gz"), baseFile = dir.appendingPathComponent("b\(i).pb.gz")
            try Data(profile.encoded()).write(to: file)
            try Data(base.encoded()).write(to: baseFile)
            let reread = try Profile.parse(try [UInt8](Data(contentsOf: file)))
            let rereadBase = try Profile.parse(try [UInt8](Data(contentsOf: baseFile)))
            let index = String(factory.int(0...profile.sampleTypes.count - 1))
            let reports: [[String]] = [
                ["-top"], ["-top", "-sample_index=\(index)", "-cum", "-nodecount=\(factory.int(1...8))"],
                ["-top", "-sample_index=\(index)", "-drop_negative"], ["-traces", "-sample_index=\(index)"],
                ["-peek=pkg[0-3]|Zed", "-sample_index=\(index)"], ["-list=pkg[0-2]|Zed", "-sample_index=\(index)"],
                ["-top", "-sample_index=\(index)", "-focus=pkg1", "-lines"],
            ]
            for flags in reports {
                for diff in [false, true] {
                    compared += 1
                    let baseFlag = (diff ? "-diff_base=" : "-base=") + baseFile.path
                    let args = PprofArgs(flags)
                    let go = Result { try GoPprof.run(flags + [baseFlag, file.path], in: dir) }
                    let (report, options) = args.report()
                    let ours = withCurrentDirectory(dir) {
                        Result {
                            let input = try ReportInput.combine(profile: reread, base: diff ? nil : rereadBase,
                                                                diffBase: diff ? rereadBase : nil)
                            return try report.render(ReportContext(profile: input, options: options))
                        }
                    }
                    switch (ours, go) {
                    case let (.success(a), .success(b)) where a == b:
                        matched += 1
                        lines += a.split(separator: "\n").count
                    case (.failure, .failure):
                        matched += 1
                        bothFailed += 1
                    case let (.success(a), .success(b)) where flags[0].hasPrefix("-peek")
                        && DifferentialTests.orderingTiedEdges(a) == DifferentialTests.orderingTiedEdges(b):
                        matched += 1
                        unordered += 1
                    case let (.success(a), .success(b)):
                        failures.append("p\(i) \(args) \(diff ? "diff_base" : "base"): \(firstDifference(a, b) ?? "")")
                    default:
                        failures.append("p\(i) \(args) \(diff ? "diff_base" : "base"): ours \(ours), go \(go)")
                    }
                }
            }
        }
        print("differential -base/-diff_base: \(matched)/\(compared) outputs identical over"
            + " \(DifferentialTests.profileCount) profile pairs (\(lines) lines; \(bothFailed) rejected by both;"
            + " \(unordered) equal up to go's random edge order)")
        XCTAssertLessThan(bothFailed, compared / 4, "most comparisons must produce output")
        XCTAssertEqual(matched, compared, failures.prefix(10).joined(separator: "\n"))
    }

    /// The diff of Go's heap profile against itself is empty; against the forced-GC profile
    /// it shows the tenth bigBytes call, with percentages of the base's total.
    func testGoFixtureDiff() throws {
        let heap = try loadProfile(TestPaths.goFixture("heap.pb.gz"))
        let gc1 = try loadProfile(TestPaths.goFixture("heap-gc1.pb.gz"))
        let options = ReportOptions(sampleIndex: "alloc_space")
        let same = try ReportInput.combine(profile: heap, base: heap)
        XCTAssertTrue(same.samples.isEmpty)
        for (flag, diff) in [("-base", false), ("-diff_base", true)] {
            let input = try ReportInput.combine(profile: gc1, base: diff ? nil : heap, diffBase: diff ? heap : nil)
            let ours = try TopReport().render(ReportContext(profile: input, options: options))
            let golden = TestPaths.golden.appendingPathComponent("heap-gc1_\(flag)=heap_-top_-sample_index=alloc_space.txt")
            if recordingGolden {
                let out = try GoPprof.run(["-top", "-sample_index=alloc_space", "\(flag)=heap.pb.gz", "heap-gc1.pb.gz"],
                                          in: TestPaths.goFixtures)
                try out.write(to: golden, atomically: true, encoding: .utf8)
            }
            let expected = try String(contentsOf: golden, encoding: .utf8)
            XCTAssertEqual(ours, expected, "\(flag): \(firstDifference(ours, expected) ?? "")")
        }
        XCTAssertThrowsError(try ReportInput.combine(profile: heap, base: heap, diffBase: heap)) {
            XCTAssertEqual($0 as? AnalysisError, .baseAndDiffBase)
        }
    }
}
