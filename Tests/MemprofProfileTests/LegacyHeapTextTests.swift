import XCTest
@testable import MemprofProfile

/// The `debug=1` heap text, against Go's own output for the same program.
final class LegacyHeapTextTests: XCTestCase {
    /// Go's `runtime.MemStats` block of heap-debug1.txt, starting with its empty line.
    private func memStatsBlock() throws -> String {
        let text = try Fixture.text("heap-debug1.txt")
        let range = try XCTUnwrap(text.range(of: "\n# runtime.MemStats\n"))
        return String(text[range.lowerBound...])
    }

    /// Function entry addresses recovered from Go's `#` lines (`pc` minus the `+0x` offset).
    private func goFunctionEntries() throws -> [String: UInt64] {
        var entries: [String: UInt64] = [:]
        for line in try Fixture.text("heap-debug1.txt").split(separator: "\n") where line.hasPrefix("#\t0x") {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: true)
            let pc = UInt64(cells[1].dropFirst(2), radix: 16)!
            let nameAndOffset = cells[2].split(separator: "+")
            entries[String(nameAndOffset[0])] = pc - UInt64(nameAndOffset[1].dropFirst(2), radix: 16)!
        }
        return entries
    }

    func testGolden() throws {
        let p = try Fixture.profile("heap.pb.gz")
        let entries = try goFunctionEntries()
        let text = try p.legacyHeapText(trailer: memStatsBlock(), functionEntry: { entries[$0.name] })
        try Fixture.assertGolden(text, "heap.pb.gz.debug1.txt")
        try Fixture.assertGolden(try p.legacyHeapText(), "heap.pb.gz.debug1-no-entries.txt")
    }

    /// Same header and same record for the goroutine-stack sample as Go wrote, byte for byte
    /// (tab alignment included); same MemStats block.
    func testMatchesGoWhereTheProtoHoldsTheSameData() throws {
        let p = try Fixture.profile("heap.pb.gz")
        let entries = try goFunctionEntries()
        let ours = try p.legacyHeapText(trailer: memStatsBlock(), functionEntry: { entries[$0.name] })
        let go = try Fixture.text("heap-debug1.txt")
        XCTAssertEqual(ours.split(separator: "\n").first, "heap profile: 2: 512 [12: 900137472] @ heap/1048576")
        let malg = """
            1: 416 [1: 416] @ 0x443388 0x44363e 0x443565 0x468f69
            #\t0x443387\truntime.malg+0x27\t\truntime/proc.go:4076
            #\t0x44363d\truntime.newproc1+0x7d\t\truntime/proc.go:4123
            #\t0x443564\truntime.newproc.func1+0x24\truntime/proc.go:4098
            #\t0x468f68\truntime.systemstack+0x48\truntime/asm_amd64.s:492


            """
        XCTAssertTrue(go.contains(malg))
        XCTAssertTrue(ours.contains(malg), ours)
        XCTAssertTrue(ours.hasSuffix(try memStatsBlock()))
        // Go's stacks also hold runtime.goexit and one PC per inlined frame, which the proto
        // folds away; the records' counts still agree.
        XCTAssertTrue(ours.contains("1: 96 [1: 96] @ 0x43adcb\n#\t0x43adca\truntime.main+0x14a\truntime/proc.go:211\n"))
        XCTAssertTrue(ours.contains("0: 0 [9: 900071424] @ 0x670ba5 0x43ae92\n"))
        XCTAssertTrue(ours.contains("0: 0 [1: 65536] @ 0x573cc7 "))
    }

    /// `go tool pprof` reads our text back, and its estimates equal the proto's values.
    func testGoPprofReadsItBack() throws {
        for name in ["heap.pb.gz", "heap-gc1.pb.gz"] {
            let p = try Fixture.profile(name)
            let text = try p.legacyHeapText()
            let raw = try GoPprof.raw(Array(text.utf8), fileName: "heap.txt")
            XCTAssertTrue(raw.contains("alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes"))
            let goTotals = rawColumnTotals(raw), ours = columnTotals(p)
            XCTAssertEqual(goTotals.count, 4)
            for (g, o) in zip(goTotals, ours) {
                XCTAssertEqual(Double(g), Double(o), accuracy: Double(o) * 1e-5 + 2, name)
            }
        }
    }

    func testNeedsHeapSampleTypes() {
        let p = Profile(sampleTypes: [ValueType(type: "samples", unit: "count")])
        XCTAssertThrowsError(try p.legacyHeapText()) {
            XCTAssertEqual("\($0)", "legacy heap text needs sample types alloc_objects, alloc_space, inuse_objects "
                + "and inuse_space; the profile has [samples/count]")
        }
    }

    func testUnscaleInvertsGoScaling() {
        // Go: scaleHeapSample(1, 96, 524288) = (5461, 524336); (1, 416) -> (1260, 524496).
        XCTAssertTrue(Profile.unscaleHeap(5461, 524_336, rate: 524_288) == (1, 96))
        XCTAssertTrue(Profile.unscaleHeap(1260, 524_496, rate: 524_288) == (1, 416))
        XCTAssertTrue(Profile.unscaleHeap(9, 900_071_424, rate: 524_288) == (9, 900_071_424))
        XCTAssertTrue(Profile.unscaleHeap(0, 10, rate: 524_288) == (0, 0))
        XCTAssertTrue(Profile.unscaleHeap(7, 700, rate: 1) == (7, 700))
        XCTAssertTrue(Profile.unscaleHeap(-5461, -524_336, rate: 524_288) == (-1, -96))
        // Go truncated 8.51 objects of 65,536 bytes to 8: only the block size recovers 1.
        XCTAssertTrue(Profile.unscaleHeap(8, 557_738, rate: 524_288, blockSize: 65_536) == (1, 65_536))
    }
}

/// Go's tabwriter rules (minwidth 1, tabwidth 8, padding 1, tab padding).
final class TabAlignerTests: XCTestCase {
    func testBlocksAndColumns() {
        let input = "#\ta\tbb\tx\n#\tccc\tdddddddddddd\ty\nplain line\n#\t0x1\n#\t1234567890\tz\tw\n"
        let expected = "#\ta\tbb\t\tx\n#\tccc\tdddddddddddd\ty\nplain line\n#\t0x1\n#\t1234567890\tz\tw\n"
        XCTAssertEqual(TabAligner().align(input), expected)
        XCTAssertEqual(TabAligner().align(""), "")
        XCTAssertEqual(TabAligner().align("a\tb"), "a\tb")
    }

    /// Widths count Unicode scalars, not bytes: Go's text/tabwriter wrote this expected text
    /// (`tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)`). With byte widths the first line would
    /// get one tab fewer than it needs.
    func testWidthsCountScalars() {
        let input = "#\t日本語日本語日\tx\n#\tabcdefgh\ty\n#\té\t\tz\n"
        let expected = "#\t日本語日本語日\t\tx\n#\tabcdefgh\ty\n#\té\t\t\tz\n"
        XCTAssertEqual(TabAligner().align(input), expected)
    }

    /// The measuring pass gives the length the writing pass writes.
    func testAlignedCountIsTheWrittenLength() {
        var generator = SplitMix64(seed: 0x7AB5)
        let pieces = ["#", "\t", "\n", "a", "bbbbbbbbb", "é", "日本", "0x1f", ""]
        for _ in 0..<200 {
            let text = (0..<Int.random(in: 0...40, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let bytes = Array(text.utf8)
            XCTAssertEqual(TabAligner().alignedCount(bytes), TabAligner().align(bytes).count, text.debugDescription)
        }
    }
}

/// gzip through zlib.
final class GzipTests: XCTestCase {
    func testRoundTripAndConcatenatedMembers() throws {
        let data = Array("hello, pprof".utf8)
        let gz = try XCTUnwrap(Gzip.compress(data))
        XCTAssertEqual(Array(gz.prefix(3)), [0x1f, 0x8b, 0x08])
        XCTAssertEqual(try Gzip.decompress(gz, limit: 100), data)
        XCTAssertEqual(try Gzip.decompress(gz + gz, limit: 100), data + data)
        XCTAssertEqual(try Gzip.decompress(try XCTUnwrap(Gzip.compress([])), limit: 0), [])
        XCTAssertThrowsError(try Gzip.decompress(gz, limit: 5)) {
            XCTAssertEqual("\($0)", "gzip: decompressed size exceeds limit of 5 bytes")
        }
        XCTAssertEqual(formatByteCount(1 << 30), "1 GiB")
    }

    /// A profile whose gzip stream holds two members (as `cat a.gz b.gz` makes) parses.
    func testProfileSplitAcrossMembers() throws {
        let plain = ProfileSamples.rich.encoded(gzip: false)
        let half = plain.count / 2
        let split = try XCTUnwrap(Gzip.compress(Array(plain[..<half]))) + XCTUnwrap(Gzip.compress(Array(plain[half...])))
        XCTAssertEqual(try Profile.parse(split), ProfileSamples.rich)
    }
}
