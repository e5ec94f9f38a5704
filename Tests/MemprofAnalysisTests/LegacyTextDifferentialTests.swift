import Foundation
import MemprofAnalysis
import MemprofProfile
import XCTest

/// Legacy texts of random shapes (heap, count, contention), read by us and by `go tool pprof`:
/// what one reads the other reads, and their reports are equal line for line (without the `#`
/// lines' names, which pprof does not use).
final class LegacyTextDifferentialTests: XCTestCase {
    override func setUp() { useUTC() }

    /// Texts of every header kind and record shape pprof accepts (and some it refuses), random
    /// in their numbers and stacks: reports equal go tool pprof's.
    func testRandomTextsAreReadAsGoToolPprofReadsThem() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("legacy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix64(seed: 0x1E6A_C7)
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

    /// Count texts of random shapes (octal counts, leading comments, `---` sections, CRLF):
    /// reports equal go tool pprof's; what pprof refuses is refused.
    func testRandomCountTextsAreReadAsGoToolPprofReadsThem() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("legacy-count-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix64(seed: 0xC0_47)
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

    /// Contention texts of random shapes: attributes in every base Go's ParseInt reads, a
    /// period of 0, records pprof's regex splits in two (`12 @ 0x1`), trailing sections; and
    /// attributes pprof refuses.
    func testRandomContentionTextsAreReadAsGoToolPprofReadsThem() throws {
        XCTAssertTrue(GoPprof.isAvailable, "go tool pprof is needed at \(GoPprof.goBinary)")
        let dir = GoPprof.scratch.appendingPathComponent("legacy-contention-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix64(seed: 0xC0_47E)
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
}

/// Which legacy text parser a file goes through.
enum LegacyTextKind { case heap, count, contention }

extension XCTestCase {
    /// A report of `profile` for pprof's command-line flags.
    func render(_ profile: Profile, _ flags: [String]) throws -> String {
        let (report, options) = PprofArgs(flags).report()
        return try report.render(ReportContext(profile: profile, options: options))
    }

    /// `file` read without its `#` lines' names gives go tool pprof's output for every flag set.
    func assertSameAsGo(_ file: URL, _ flagSets: [[String]], _ what: String, kind: LegacyTextKind = .heap) throws {
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
}

extension SplitMix64 {
    /// A number in 0..<bound (the legacy text tests' draws).
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
