import XCTest
@testable import MemprofProfile

/// parse -> encode -> parse, and our encoding as read by Go's pprof.
final class RoundTripTests: XCTestCase {
    func testFixturesRoundTrip() throws {
        for name in Fixture.profiles {
            let p = try Fixture.profile(name)
            XCTAssertEqual(try Profile.parse(p.encoded()), p, name)
            XCTAssertEqual(try Profile.parse(p.encoded(gzip: false)), p, name)
            XCTAssertEqual(p.encoded(), p.encoded(), "deterministic: \(name)")
            XCTAssertEqual(Array(p.encoded().prefix(2)), [0x1f, 0x8b])
        }
    }

    /// Go's pprof re-encodes what it reads; re-encoding Go's output with our encoder gives the
    /// same bytes, so our string table, field order and packing follow Go's exactly.
    func testEncodingIsByteIdenticalToGoPprof() throws {
        for name in Fixture.profiles {
            let goOutput = [UInt8](try GoPprof.run(["-proto"], input: Fixture.bytes(name)))
            let goProtobuf = try Gzip.decompress(goOutput, limit: 1 << 30)
            let p = try Profile.parse(goOutput)
            XCTAssertEqual(p.encoded(gzip: false), goProtobuf, name)
            XCTAssertEqual(try Profile.parse(p.encoded(gzip: false)), p, name)
        }
        let rich = ProfileSamples.rich
        let goOutput = [UInt8](try GoPprof.run(["-proto"], input: rich.encoded()))
        XCTAssertEqual(try Profile.parse(goOutput).encoded(gzip: false), try Gzip.decompress(goOutput, limit: 1 << 30))
    }

    func testGoPprofReadsOurEncoding() throws {
        for (name, rawFile) in [("heap.pb.gz", "pprof-raw-heap.txt"), ("heap-gc1.pb.gz", "pprof-raw-heap-gc1.txt")] {
            let p = try Fixture.profile(name)
            for gzip in [true, false] {
                let raw = try GoPprof.raw(p.encoded(gzip: gzip))
                XCTAssertEqual(raw, try Fixture.text(rawFile), "\(name) gzip=\(gzip)")
                XCTAssertEqual(rawColumnTotals(raw), columnTotals(p))
            }
        }
        let allocs = try Fixture.bytes("allocs.pb.gz")
        let ours = try Profile.parse(allocs).encoded()
        XCTAssertEqual(try GoPprof.raw(ours), try GoPprof.raw(allocs))
    }

    /// Every field of profile.proto survives our encoder and Go's decoder.
    func testRichProfileThroughGo() throws {
        let rich = ProfileSamples.rich
        XCTAssertNoThrow(try rich.validate())
        XCTAssertEqual(try Profile.parse(rich.encoded()), rich)
        // Go merges what it reads: comments deduplicated, mapping 7 renumbered to 2.
        XCTAssertEqual(try GoPprof.raw(rich.encoded()), GoRawFormat.render(try rich.compacted()))
        XCTAssertEqual(try rich.compacted().comments, ["first comment", "second"])
    }

    /// A profile of the size a busy server writes: codec and merge stay linear.
    func testLargeProfile() throws {
        var p = Profile(sampleTypes: [ValueType(type: "alloc_space", unit: "bytes")],
                        mappings: [Mapping(id: 1, start: 0x1000, limit: 0x10_0000, file: "app")])
        for i in 1...2000 {
            p.functions.append(Function(id: UInt64(i), name: "f\(i)", systemName: "f\(i)", filename: "f.swift"))
            p.locations.append(Location(id: UInt64(i), mappingID: 1, address: 0x1000 + UInt64(i) * 4,
                                        lines: [Line(functionID: UInt64(i), line: Int64(i))]))
        }
        var rng = SplitMix64(seed: 7)
        for i in 0..<20_000 {
            let stack = (0..<16).map { _ in UInt64.random(in: 1...2000, using: &rng) }
            p.samples.append(Sample(locationIDs: stack, values: [Int64(i)], numericLabels: ["bytes": [Int64(i % 64 + 1)]]))
        }
        let clock = ContinuousClock()
        var encoded: [UInt8] = []
        var parsed = Profile()
        let elapsed = try clock.measure {
            encoded = p.encoded()
            parsed = try Profile.parse(encoded)
        }
        XCTAssertEqual(parsed, p)
        XCTAssertLessThan(elapsed, Duration.seconds(20), "encode + parse of \(encoded.count) bytes")
        // As in pprof, a numeric label 0 without unit (or a string label "") is not encoded.
        var zeroLabel = p
        zeroLabel.samples = [Sample(locationIDs: [1], values: [1], labels: ["k": [""]], numericLabels: ["n": [0]])]
        XCTAssertEqual(try Profile.parse(zeroLabel.encoded()).samples, [Sample(locationIDs: [1], values: [1])])
        let doubled = try Profile.merge([p, p])
        XCTAssertEqual(columnTotals(doubled), columnTotals(p).map { $0 * 2 })
    }

    func testStringTableIsDeduplicatedAndStartsEmpty() throws {
        let rich = ProfileSamples.rich
        let bytes = rich.encoded(gzip: false)
        var strings: [String] = []
        try bytes.withUnsafeBufferPointer { buf in
            var r = ProtoReader(buf, start: 0, end: buf.count, maxNesting: 4)
            while let f = try r.next() {
                if f.number == 6 { strings.append(try r.string(f, "test")) }
            }
        }
        XCTAssertEqual(strings.first, "")
        XCTAssertEqual(Set(strings).count, strings.count)
        XCTAssertTrue(strings.contains("main.leaf"))
    }
}

/// Hand-built profiles that use every field of profile.proto.
enum ProfileSamples {
    static var rich: Profile {
        Profile(
            sampleTypes: [ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
                          ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes")],
            samples: [
                Sample(locationIDs: [1, 2, 3], values: [4, 4096, 2, 2048],
                       labels: ["thread": ["main"], "zone": ["a", "b"]],
                       numericLabels: ["bytes": [1024], "align": [16, 32]],
                       numericUnits: ["align": ["bytes", "bytes"]]),
                Sample(locationIDs: [4, 3], values: [1, 100, 0, 0], labels: ["thread": ["worker-1"]]),
                Sample(locationIDs: [5], values: [-3, -300, 1, 1 << 40]),
            ],
            mappings: [
                Mapping(id: 1, start: 0x55_0000_0000, limit: 0x55_0010_0000, offset: 0x1000, file: "/usr/bin/app",
                        buildID: "0123456789abcdef", hasFunctions: true, hasFilenames: true, hasLineNumbers: true,
                        hasInlineFrames: true),
                Mapping(id: 7, start: 0x7f00_0000_0000, limit: 0x7f00_0020_0000, file: "/lib/libc.so.6", hasFunctions: true),
            ],
            locations: [
                Location(id: 1, mappingID: 1, address: 0x55_0000_1234,
                         lines: [Line(functionID: 10, line: 42, column: 7), Line(functionID: 11, line: 9)]),
                Location(id: 2, mappingID: 1, address: 0x55_0000_2000, lines: [Line(functionID: 12, line: 100)],
                         isFolded: true),
                Location(id: 3, mappingID: 7, address: 0x7f00_0000_4321, lines: [Line(functionID: 13)]),
                Location(id: 4, address: 0xdead_beef),
                Location(id: 5, mappingID: 1, address: 0x55_0000_3000, lines: [Line(functionID: 14, line: -1)]),
            ],
            functions: [
                Function(id: 10, name: "main.leaf", systemName: "$s4main4leafyyF", filename: "Sources/main.swift", startLine: 40),
                Function(id: 11, name: "main.caller", systemName: "main.caller", filename: "Sources/main.swift", startLine: 5),
                Function(id: 12, name: "Ünïcødé.闭包", systemName: "Ünïcødé.闭包", filename: "Sources/ü.swift"),
                Function(id: 13, name: "__libc_start_main", systemName: "__libc_start_main"),
                Function(id: 14, name: "", systemName: "", filename: ""),
            ],
            dropFrames: "^malloc$", keepFrames: "^main\\.", timeNanos: 1_700_000_000_123_000_000,
            durationNanos: 5_000_000_000, periodType: ValueType(type: "space", unit: "bytes"), period: 524_288,
            comments: ["first comment", "second", "first comment"], defaultSampleType: "inuse_space",
            docURL: "https://example.com/docs")
    }
}
