import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// Go's legacy text (`/debug/pprof/heap?debug=1`, `goroutine?debug=1`) is read as `go tool pprof` reads it:
/// the same samples, values and locations, so that without the `#` lines' names every report
/// is pprof's, line for line; with them, the locations are named.
final class LegacyTextReadingTests: XCTestCase {
    override func setUp() { useUTC() }

    private func render(_ profile: Profile, _ flags: [String]) throws -> String {
        let (report, options) = PprofArgs(flags).report()
        return try report.render(ReportContext(profile: profile, options: options))
    }

    enum Kind { case heap, count, contention }

    private func assertSameAsGo(_ file: URL, _ flagSets: [[String]], _ what: String, kind: Kind = .heap) throws {
        let bytes = try [UInt8](Data(contentsOf: file))
        let profile: Profile
        switch kind {
        case .heap: profile = try Profile.parseLegacyHeapText(bytes, symbols: false)
        case .count: profile = try Profile.parseLegacyCountText(bytes, symbols: false)
        case .contention: profile = try Profile.parseLegacyContentionText(bytes, symbols: false)
        }
        for flags in flagSets {
            let go = Result { try GoPprof.run(flags + [file.path]) }
            let ours = Result { try render(profile, flags) }
            switch (ours, go) {
            case let (.success(a), .success(b)):
                XCTAssertEqual(a, b, "\(what) \(flags): \(firstDifference(a, b) ?? "")")
            case (.failure, .failure):
                break
            default:
                XCTFail("\(what) \(flags): ours \(ours), go \(go)")
            }
        }
    }

    /// Go's own text, from the reference service.
    func testGoTextIsReadAsGoToolPprofReadsIt() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        try assertSameAsGo(TestPaths.goFixture("heap-debug1.txt"), [
            ["-top"], ["-traces"], ["-top", "-sample_index=alloc_space"],
            ["-top", "-sample_index=alloc_objects", "-nodefraction=0"], ["-traces", "-sample_index=inuse_objects"],
            ["-top", "-addresses"], ["-peek=."],
        ], "heap-debug1.txt")
    }

    /// Texts of every header kind and record shape pprof accepts (and some it refuses), random
    /// in their numbers and stacks: reports equal go tool pprof's.
    func testRandomTextsAreReadAsGoToolPprofReadsThem() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("legacy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix(seed: 0x1E6A_C7)
        let kinds = ["heap", "heap_v2", "heapz_v2", "heapprofile", "heap_v2", "heap"]
        for i in 0..<40 {
            let rate = [0, 1, 2, 4096, 524288, 1048576][rng.int(6)]
            let hasAlloc = rng.int(4) != 0
            let header: String
            switch i % 8 {
            case 6: header = "heap profile: 3: 96 [ 3: 96] @ growthz"
            case 7: header = "junk heap profile:4:  128[4:128] @ fragmentationz"
            default: header = "heap profile: 7: 700 [\(hasAlloc ? 9 : 7): \(hasAlloc ? 900 : 700)] @ \(kinds[i % kinds.count])/\(rate)"
            }
            var lines = [header]
            let pool = (0..<12).map { _ in 0x400000 + UInt64(rng.int(0x10000)) * 16 }
            for _ in 0..<rng.int(12) + 1 {
                let inuse = rng.int(5), alloc = inuse + rng.int(5)
                let size = [8, 24, 100, 4096, 70_000][rng.int(5)]
                let stack = (0..<rng.int(6) + 1).map { _ in "0x" + String(pool[rng.int(pool.count)], radix: 16) }
                let sign = rng.int(10) == 0 && inuse > 0 ? "-" : ""
                lines.append("\(sign)\(inuse): \(sign)\(inuse * size) [\(alloc): \(alloc * size)] @ " + stack.joined(separator: " "))
                if rng.int(2) == 0 { lines.append("#\t\(stack[0])\tmain.f\(rng.int(3))+0x1f\tmain.go:\(rng.int(90) + 1)") }
                if rng.int(3) == 0 { lines.append("") }
            }
            if i % 3 == 0 { lines.append("3: 2 [3: 2] @ 0x401000 " + "0x" + String(pool[0], radix: 16)) }  // blocks of 0 bytes
            if i % 5 == 0 { lines += ["", "# runtime.MemStats", "# Alloc = 1234"] }
            let eol = i % 4 == 3 ? "\r\n" : "\n"
            let file = dir.appendingPathComponent("t\(i).txt")
            try (lines.joined(separator: eol) + eol).write(to: file, atomically: true, encoding: .utf8)
            try assertSameAsGo(file, [["-top"], ["-traces"], ["-top", "-sample_index=0", "-nodefraction=0"]], "t\(i)")
        }
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

    /// Count texts of random shapes (octal counts, leading comments, `---` sections, CRLF):
    /// reports equal go tool pprof's; what pprof refuses is refused.
    func testRandomCountTextsAreReadAsGoToolPprofReadsThem() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("legacy-count-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix(seed: 0xC0_47)
        for i in 0..<24 {
            var lines = i % 3 == 0 ? ["# leading comment", ""] : []
            lines.append("\(["goroutine", "threadcreate", "heap", "x"][i % 4]) profile: total \(rng.int(50))")
            let pool = (0..<10).map { _ in 0x400000 + UInt64(rng.int(0x10000)) * 16 }
            for _ in 0..<rng.int(10) + 1 {
                let count = ["\(rng.int(20))", "010", "0", "7"][rng.int(4)]
                let stack = (0..<rng.int(5) + 1).map { _ in " 0x" + String(pool[rng.int(pool.count)], radix: 16) }.joined()
                lines.append(count + " @" + stack)
                if rng.int(2) == 0 { lines.append("#\t0x\(String(pool[0] - 1, radix: 16))\tmain.g+0x1\tg.go:\(rng.int(50) + 1)") }
                if rng.int(3) == 0 { lines.append("") }
            }
            if i % 5 == 4 { lines += ["--- extra section", "anything"] }
            if i % 7 == 6 { lines.append("09 @ 0x401000") }  // not octal: refused by both
            let eol = i % 4 == 1 ? "\r\n" : "\n"
            let file = dir.appendingPathComponent("c\(i).txt")
            try (lines.joined(separator: eol) + eol).write(to: file, atomically: true, encoding: .utf8)
            if i % 7 == 6 {
                XCTAssertThrowsError(try Profile.parse(try [UInt8](Data(contentsOf: file))), "c\(i)")
                XCTAssertThrowsError(try GoPprof.run(["-top", file.path]), "c\(i)")
                continue
            }
            try assertSameAsGo(file, [["-top"], ["-traces"]], "c\(i)", kind: .count)
        }
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

    /// Contention texts of random shapes: attributes in every base Go's ParseInt reads, a
    /// period of 0, records pprof's regex splits in two (`12 @ 0x1`), trailing sections; and
    /// attributes pprof refuses.
    func testRandomContentionTextsAreReadAsGoToolPprofReadsThem() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("legacy-contention-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix(seed: 0xC0_47E)
        let hz = ["2300000215", "0x891b1c57", "2_300_000_000", "021106200000", "0", ""]
        let periods = ["1", "0", "100", "0b101", "0o17"]
        var read = 0, refused = 0
        for i in 0..<30 {
            var lines = [["--- mutex:", "--- contention:", "--- contentionz x"][i % 3]]
            if i % 6 != 5 { lines.append("cycles/second=" + hz[rng.int(hz.count)]) }
            if rng.int(2) == 0 { lines.append("sampling period = " + periods[rng.int(periods.count)]) }
            if rng.int(3) == 0 { lines.append("ms since reset=\(rng.int(5000))") }
            if rng.int(4) == 0 { lines.append("discarded samples=3") }
            if i % 10 == 9 { lines.append(["format=x", "resolution=1", "color=blue"][i % 3]) }
            let pool = (0..<8).map { _ in 0x400000 + UInt64(rng.int(0x10000)) * 16 }
            for _ in 0..<rng.int(8) + 1 {
                let stack = (0..<rng.int(4) + 1).map { _ in " 0x" + String(pool[rng.int(pool.count)], radix: 16) }.joined()
                let record = rng.int(5) == 0 ? "\(rng.int(90) + 10) @" : "\(rng.int(9_000_000)) \(rng.int(500)) @"
                lines.append(record + stack)
                if rng.int(2) == 0 { lines.append("#\t0x\(String(pool[0] - 1, radix: 16))\tsync.(*Mutex).Lock+0x9b\tmutex.go:90") }
            }
            if i % 4 == 3 { lines += ["--- trailing", "x"] }
            let file = dir.appendingPathComponent("m\(i).txt")
            try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            let goReads = (try? GoPprof.run(["-top", file.path])) != nil
            let oursReads = (try? Profile.parse(try [UInt8](Data(contentsOf: file)))) != nil
            XCTAssertEqual(oursReads, goReads, "m\(i): ours \(oursReads), go \(goReads)")
            if goReads { read += 1 } else { refused += 1 }
            if goReads && oursReads {
                try assertSameAsGo(file, [["-top"], ["-traces"], ["-top", "-sample_index=0"]], "m\(i)", kind: .contention)
            }
        }
        XCTAssertGreaterThan(read, 15)
        XCTAssertGreaterThan(refused, 3)
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
        var rng = SplitMix(seed: 0xF0_22ED)
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

/// A small deterministic generator for the texts above.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
