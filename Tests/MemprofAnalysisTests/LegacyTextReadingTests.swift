import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// Go's legacy text (`/debug/pprof/heap?debug=1`, `goroutine?debug=1`) is read as `go tool pprof` reads it:
/// the same samples, values and locations, so that without the `#` lines' names every report
/// is pprof's, line for line; with them, the locations are named.
final class LegacyTextReadingTests: XCTestCase {
    override func setUp() { useUTC() }

    /// Go's own text, from the reference service.
    func testGoTextIsReadAsGoToolPprofReadsIt() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        try assertSameAsGo(TestPaths.goFixture("heap-debug1.txt"), [
            ["-top"], ["-traces"], ["-top", "-sample_index=alloc_space"],
            ["-top", "-sample_index=alloc_objects", "-nodefraction=0"], ["-traces", "-sample_index=inuse_objects"],
            ["-top", "-addresses"], ["-peek=."],
        ], "heap-debug1.txt")
    }

    /// Go's goroutine text: counts per stack, as pprof reads them, and names from the `#` lines.
    func testGoroutineTextIsReadAsGoToolPprofReadsIt() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let file = TestPaths.goFixture("goroutine-debug1.txt")
        try assertSameAsGo(file, [["-top"], ["-traces"], ["-peek=."], ["-top", "-addresses"]], "goroutine-debug1.txt", kind: .count)
        let bytes = try [UInt8](Data(contentsOf: file))
        let named = try Profile.parse(bytes)
        XCTAssertEqual(named.sampleTypes, [ValueType(type: "goroutine", unit: "count")])
        let top = try render(named, ["-top"])
        XCTAssertTrue(top.contains("         0     0%   100%          5 71.43%  main.worker\n"), top)
    }

    /// Go's mutex and block texts: contentions and delays as pprof computes them from the
    /// cycles per second and the sampling period, and names from the `#` lines.
    func testContentionTextsAreReadAsGoToolPprofReadsThem() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        for name in ["mutex-debug1.txt", "block-debug1.txt"] {
            try assertSameAsGo(TestPaths.goFixture(name), [["-top"], ["-traces"], ["-top", "-contentions"], ["-top", "-mean"],
                                                           ["-peek=.", "-mean_delay"]], name, kind: .contention)
            let named = try Profile.parse(try [UInt8](Data(contentsOf: TestPaths.goFixture(name))))
            XCTAssertTrue(try render(named, ["-top"]).contains("main.contend"), name)
        }
    }

    /// The `#` lines name the locations at their addresses: pprof's figures, with names.
    func testCommentLinesNameTheLocations() throws {
        let bytes = try [UInt8](Data(contentsOf: TestPaths.goFixture("heap-debug1.txt")))
        let named = try Profile.parseLegacyHeapText(bytes)
        let bare = try Profile.parseLegacyHeapText(bytes, symbols: false)
        XCTAssertEqual(named.samples, bare.samples)
        XCTAssertEqual(named.locations.map(\.address), bare.locations.map(\.address))
        let malg = try XCTUnwrap(named.locations.first { $0.address == 0x443387 })
        let function = try XCTUnwrap(named.functions.first { $0.id == malg.lines.first?.functionID })
        XCTAssertEqual(function.name, "runtime.malg")
        XCTAssertEqual(function.filename, "runtime/proc.go")
        XCTAssertEqual(malg.lines.first?.line, 4076)
        // The header's rate: `heap/1048576` is twice Go's 512 KiB.
        XCTAssertEqual(named.period, 524_288)
        // The figures are pprof's; the big allocation has its name, with the value Go's proto
        // profile of the same moment gives it.
        let top = try render(named, ["-top", "-sample_index=alloc_space"])
        let bareTop = try render(bare, ["-top", "-sample_index=alloc_space"])
        XCTAssertTrue(top.contains(" of 859.91MB total\n") && bareTop.contains(" of 859.91MB total\n"), top + bareTop)
        XCTAssertTrue(top.contains("  858.38MB 99.82% 99.82%   858.38MB 99.82%  main.bigBytes\n"), top)
        // Parse picks the text up by its header.
        XCTAssertEqual(try Profile.parse(bytes), named)
    }

    /// What the text gives survives profile.proto: `memprof fetch` of a text and our encoder
    /// keep every sample, location and name.
    func testReadTextEncodesAsProto() throws {
        let bytes = try [UInt8](Data(contentsOf: TestPaths.goFixture("heap-debug1.txt")))
        for symbols in [true, false] {
            let p = try Profile.parseLegacyHeapText(bytes, symbols: symbols)
            let back = try Profile.parse(p.encoded(gzip: true))
            XCTAssertEqual(back.samples, p.samples)
            XCTAssertEqual(back.locations, p.locations)
            XCTAssertEqual(back.functions, p.functions)
            XCTAssertEqual(back.sampleTypes, p.sampleTypes)
            XCTAssertEqual(back.periodType, p.periodType)
            XCTAssertEqual(back, p)
        }
    }

    /// Our own writer's text reads back as the profile it came from: the same stacks and
    /// names, and values within the rounding of unscaling and scaling again.
    func testOurTextReadsBackAsTheProfile() throws {
        let original = try Profile.parse(try [UInt8](Data(contentsOf: TestPaths.goFixture("heap.pb.gz"))))
        let text = try original.legacyHeapText()
        let back = try Profile.parseLegacyHeapText(Array(text.utf8))
        XCTAssertEqual(back.samples.count, original.samples.count)
        func frames(_ p: Profile, _ s: Sample) -> [String] {
            s.locationIDs.flatMap { id -> [String] in
                let l = p.locations.first { $0.id == id }!
                return l.lines.map { line in p.functions.first { $0.id == line.functionID }!.name }
            }
        }
        let byStack = Dictionary(grouping: original.samples) { frames(original, $0) }
        let types: [String] = ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"]
        for s in back.samples {
            let stack = frames(back, s)
            let candidates: [Sample] = try XCTUnwrap(byStack[stack], "no sample with stack \(stack)")
            let matched = candidates.contains { o in
                types.indices.allSatisfy { k in
                    let v = o.values[original.sampleTypes.firstIndex { $0.type == types[k] }!]
                    return abs(Double(s.values[k] - v)) <= max(2, Double(abs(v)) * 1e-6)
                }
            }
            XCTAssertTrue(matched, "\(stack): \(s.values) against \(candidates.map(\.values))")
        }
    }

    /// Mutated texts (bytes changed, cut, repeated; extreme numbers) are read or refused with
    /// a `ProfileError`, never a crash or a hang.
    func testMutatedTextsNeverCrash() throws {
        let originals = try ["heap-debug1.txt", "goroutine-debug1.txt", "mutex-debug1.txt"].map { try [UInt8](Data(contentsOf: TestPaths.goFixture($0))) }
        var rng = SplitMix64(seed: 0xF0_22ED)
        let replacements: [[UInt8]] = ["-", "0x", "9223372036854775807", "-9223372036854775808", "[", "]", "@", "\t",
                                       "\r", "\n", "#\t0x", "+0x", ":", " heap profile: "].map { Array($0.utf8) }
        var read = 0, refused = 0
        for _ in 0..<2000 {
            var bytes = originals[rng.int(originals.count)]
            for _ in 0..<rng.int(6) + 1 {
                let at = rng.int(bytes.count)
                switch rng.int(4) {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.replaceSubrange(at..<min(bytes.count, at + rng.int(4)), with: replacements[rng.int(replacements.count)])
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + rng.int(40)))
                default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + rng.int(80))], at: at)
                }
            }
            let parsed: Profile
            do {
                parsed = try Profile.parse(bytes)
            } catch {
                refused += 1
                continue
            }
            read += 1
            // What is read survives profile.proto, as the fuzzer checks.
            XCTAssertEqual(try Profile.parse(parsed.encoded()), parsed)
        }
        XCTAssertGreaterThan(read, 100)
        XCTAssertGreaterThan(refused, 100)
        // Go's wrapping arithmetic where Swift would trap.
        let extreme = "heap profile: 1: 8 [1: 8] @ heap/2\n-1: -9223372036854775808 [1: 9223372036854775807] @ 0x0 0x1\n"
        let p = try Profile.parseLegacyHeapText(Array(extreme.utf8))
        XCTAssertEqual(p.samples.first?.numericLabels["bytes"], [Int64.min])
    }

    /// Damaged records are refused with the line they are on, never half read.
    func testDamagedTextsGiveClearErrors() {
        let cases: [(String, String)] = [
            ("heap profile: 1: 8 [1: 8] @ heap/1024\nnot a record\n", "unexpected number of sample values"),
            ("heap profile: 1: 8 [1: 8] @ heap/1024\n0: 8 [1: 8] @ 0x1\n", "inuse count was 0 but inuse bytes was 8"),
            ("heap profile: 1: 8 [2: 16] @ heap/1024\n1: 8 [0: 8] @ 0x1\n", "allocation count was 0 but allocation bytes was 8"),
            ("heap profile: 1: 8 [1: 8] @ heap/1024\n1: 8 [1: 8] @ 0x1ffffffffffffffff\n", "failed to parse as hex 64-bit number"),
            ("heap profile: 1: 8 [1: 8] @ heap/1024\n99999999999999999999: 8 [1: 8] @ 0x1\n", "value out of range"),
            ("heap profile: 1: 8 [1: 8] @ cpu/1024\n", "not a pprof profile: input is text"),
            ("heap profile: total 5\n5 @ 0x401000\n0x @ 0x1\n", "malformed count profile record"),
            ("threadcreate profile: total 4\n4 @\n", "malformed count profile record"),
            ("goroutine profile: total 4\n4 @ 0x1 \n", "malformed count profile record"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try Profile.parse(Array(text.utf8))) { error in
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
            }
        }
    }
}
