import XCTest
@testable import MemprofProfile

/// Reads the heap profiles Go 1.19 wrote and checks them against `go tool pprof -raw`.
final class GoFixtureTests: XCTestCase {
    /// `go tool pprof` merges every profile it reads, which drops all-zero samples and
    /// unreferenced entries (Go's heap profiles list every mapping of the process), so the
    /// comparison is with our merge of the one profile.
    func testHeapMatchesGoPprofRawOutput() throws {
        let p = try Fixture.profile("heap.pb.gz")
        XCTAssertEqual(GoRawFormat.render(try p.compacted()), try Fixture.text("pprof-raw-heap.txt"))
    }

    func testHeapGC1MatchesGoPprofRawOutput() throws {
        let p = try Fixture.profile("heap-gc1.pb.gz")
        XCTAssertEqual(GoRawFormat.render(try p.compacted()), try Fixture.text("pprof-raw-heap-gc1.txt"))
    }

    /// The allocs profile also holds an all-zero sample and locations only it uses.
    func testAllocsMatchesGoPprofRawOutput() throws {
        let bytes = try Fixture.bytes("allocs.pb.gz")
        let p = try Profile.parse(bytes)
        XCTAssertEqual(p.samples.count, 6)
        XCTAssertEqual(p.samples[0].values, [0, 0, 0, 0])
        XCTAssertEqual(p.mappings.count, 5)
        XCTAssertEqual(p.mappings[1].buildID, "93ac61ec5a8eb1396f9fbd350e3169a558528a40")
        XCTAssertEqual(GoRawFormat.render(try p.compacted()), try GoPprof.raw(bytes))
    }

    func testHeapFigures() throws {
        let p = try Fixture.profile("heap.pb.gz")
        XCTAssertEqual(p.sampleTypes, [
            ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
            ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes"),
        ])
        XCTAssertEqual(p.periodType, ValueType(type: "space", unit: "bytes"))
        XCTAssertEqual(p.period, 524_288)
        XCTAssertEqual(p.timeNanos, 1_795_773_779_314_783_457)
        XCTAssertEqual(p.defaultSampleType, "")
        XCTAssertEqual(try p.sampleIndex(), 3)  // no default: the last, inuse_space

        XCTAssertEqual(p.samples.count, 4)
        // bigBytes: 9 allocations of 100,007,936 bytes, none in use.
        let big = try XCTUnwrap(p.samples.first { $0.locationIDs == [13, 14] })
        XCTAssertEqual(big.values, [9, 900_071_424, 0, 0])
        XCTAssertEqual(big.numericLabels, ["bytes": [100_007_936]])
        XCTAssertEqual(p.samples[2].values, [5461, 524_336, 5461, 524_336])
        XCTAssertEqual(p.samples[0].locationIDs, Array(1...12))
        let totals: [Int64] = [6738, 901_677_994, 6721, 1_048_832]  // sums of the -raw columns
        XCTAssertEqual(columnTotals(p), totals)

        XCTAssertEqual(p.locations.count, 19)
        let loc13 = p.locations[12]
        XCTAssertEqual(loc13.id, 13)
        XCTAssertEqual(loc13.address, 0x670ba4)
        XCTAssertEqual(loc13.mappingID, 1)
        let names = loc13.lines.map { line in p.functions.first { $0.id == line.functionID }!.name }
        XCTAssertEqual(names, ["main.bigBytes", "main.main"])  // inlined: innermost first
        XCTAssertEqual(loc13.lines.map(\.line), [11, 20])
        let bigBytes = try XCTUnwrap(p.functions.first { $0.name == "main.bigBytes" })
        XCTAssertEqual(bigBytes.filename, "goseed/main.go")
        XCTAssertEqual(bigBytes.systemName, "main.bigBytes")

        XCTAssertEqual(p.mappings.count, 5)
        XCTAssertEqual(p.mappings[0], Mapping(id: 1, start: 0x400000, limit: 0x671000, offset: 0, file: "goseed", hasFunctions: true))
        XCTAssertEqual(p.mappings[1], Mapping(id: 2, start: 0x7feb_4c69_0000, limit: 0x7feb_4c7e_6000, offset: 0x26000,
                                              file: "libc.so.6", buildID: "93ac61ec5a8eb1396f9fbd350e3169a558528a40"))
        XCTAssertEqual(p.mappings.map(\.file), ["goseed", "libc.so.6", "[vdso]", "ld-linux-x86-64.so.2", "[vsyscall]"])
        XCTAssertEqual(try p.compacted().mappings.count, 1)
    }

    func testAllocsDefaultSampleType() throws {
        let p = try Fixture.profile("allocs.pb.gz")
        XCTAssertEqual(p.defaultSampleType, "alloc_space")
        XCTAssertEqual(try p.sampleIndex(), 1)
        XCTAssertEqual(try p.sampleIndex(named: "inuse_space"), 3)
        XCTAssertEqual(try p.sampleIndex(named: "0"), 0)
        let big = try XCTUnwrap(p.samples.first { $0.numericLabels["bytes"] == [100_007_936] })
        XCTAssertEqual(big.values, [10, 1_000_079_360, 0, 0])
    }
}
