import XCTest
@testable import MemprofProfile

/// merge, subtract, scale, compact, sample index, validate.
final class ModelOperationTests: XCTestCase {
    /// `go tool pprof a b` merges; our merge gives the same profile, entry for entry.
    func testMergeMatchesGoPprof() throws {
        let a = try Fixture.bytes("heap.pb.gz"), b = try Fixture.bytes("heap-gc1.pb.gz")
        let merged = try Profile.merge([Profile.parse(a), Profile.parse(b)])
        let goRaw = String(decoding: try GoPprof.run(["-raw"], inputs: [("a.pb.gz", a), ("b.pb.gz", b)]), as: UTF8.self)
        XCTAssertEqual(GoRawFormat.render(merged), goRaw)
        XCTAssertEqual(columnTotals(merged), zip(columnTotals(try Profile.parse(a)), columnTotals(try Profile.parse(b))).map(+))
        // Locations shared by both profiles are kept once.
        XCTAssertEqual(Set(merged.locations.map(\.address)).count, merged.locations.count)
    }

    /// `go tool pprof -base a b` is b - a; `subtracting` gives the same profile.
    func testSubtractingMatchesGoPprofBase() throws {
        let a = try Fixture.bytes("heap.pb.gz"), b = try Fixture.bytes("heap-gc1.pb.gz")
        let diff = try Profile.parse(b).subtracting(Profile.parse(a))
        let goRaw = String(decoding: try GoPprof.run(
            ["-raw", "-base", "$DIR/a.pb.gz"], inputs: [("a.pb.gz", a), ("b.pb.gz", b)], files: ["b.pb.gz"]), as: UTF8.self)
        XCTAssertEqual(GoRawFormat.render(diff), goRaw)
        // Only bigBytes (one more call) and the compress/flate sample differ.
        XCTAssertEqual(diff.samples.map(\.values), [[2, 666_237, 0, 0], [1, 100_007_936, 0, 0]])
    }

    func testSubtractingItselfIsEmpty() throws {
        let p = try Fixture.profile("heap.pb.gz")
        let diff = try p.subtracting(p)
        XCTAssertEqual(diff.samples, [])
        XCTAssertEqual(diff.locations, [])
        XCTAssertEqual(diff.functions, [])
        XCTAssertEqual(diff.mappings.count, 1)  // the main binary stays first, as in pprof
        XCTAssertEqual(diff.sampleTypes, p.sampleTypes)
    }

    func testMergeRebasesMappingsLoadedElsewhere() throws {
        func profile(base: UInt64, value: Int64) -> Profile {
            Profile(
                sampleTypes: [ValueType(type: "space", unit: "bytes")],
                samples: [Sample(locationIDs: [5], values: [value])],
                mappings: [Mapping(id: 3, start: base, limit: base + 0x1800, file: "/lib/a.so", buildID: "abc")],
                locations: [Location(id: 5, mappingID: 3, address: base + 0x123, lines: [Line(functionID: 9, line: 4)])],
                functions: [Function(id: 9, name: "f", systemName: "f")], timeNanos: Int64(value), durationNanos: 10,
                period: value, comments: ["c\(value)"])
        }
        let merged = try Profile.merge([profile(base: 0x1000_0000, value: 3), profile(base: 0x2000_0000, value: 4)])
        XCTAssertEqual(merged.mappings, [Mapping(id: 1, start: 0x1000_0000, limit: 0x1000_1800, file: "/lib/a.so", buildID: "abc")])
        XCTAssertEqual(merged.locations, [Location(id: 1, mappingID: 1, address: 0x1000_0123, lines: [Line(functionID: 1, line: 4)])])
        XCTAssertEqual(merged.functions, [Function(id: 1, name: "f", systemName: "f")])
        XCTAssertEqual(merged.samples, [Sample(locationIDs: [1], values: [7])])
        XCTAssertEqual(merged.timeNanos, 3)
        XCTAssertEqual(merged.durationNanos, 20)
        XCTAssertEqual(merged.period, 4)
        XCTAssertEqual(merged.comments, ["c3", "c4"])
    }

    func testMergeRejectsDifferentTypes() throws {
        let heap = try Fixture.profile("heap.pb.gz")
        var other = heap
        other.sampleTypes[0].unit = "objects"
        XCTAssertThrowsError(try Profile.merge([heap, other])) { error in
            XCTAssertEqual((error as? ProfileError)?.kind, .incompatible)
            XCTAssertEqual("\(error)", "cannot merge profiles with different sample types: "
                + "[alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes] and "
                + "[alloc_objects/objects alloc_space/bytes inuse_objects/count inuse_space/bytes] (profile 2)")
        }
        other = heap
        other.periodType = nil
        XCTAssertThrowsError(try Profile.merge([heap, other]))
        var broken = heap
        broken.samples[0].locationIDs.append(1000)
        XCTAssertThrowsError(try Profile.merge([heap, broken])) { error in
            XCTAssertEqual("\(error)", "profile 2 of 2: sample 1 refers to missing location 1000")
        }
        XCTAssertThrowsError(try Profile.merge([])) { XCTAssertEqual("\($0)", "no profiles to merge") }
    }

    func testCompactedRemovesUnreferencedAndRenumbers() throws {
        var p = ProfileSamples.rich
        p.samples.remove(at: 1)  // the only user of location 4
        p.samples.append(Sample(locationIDs: [5], values: [0, 0, 0, 0]))  // zero: dropped
        p.locations.append(Location(id: 99, address: 1))
        p.functions.append(Function(id: 98, name: "unused"))
        let c = try p.compacted()
        XCTAssertEqual(c.samples.count, 2)
        XCTAssertEqual(c.locations.map(\.id), [1, 2, 3, 4])
        XCTAssertEqual(c.locations.map(\.address), [0x55_0000_1234, 0x55_0000_2000, 0x7f00_0000_4321, 0x55_0000_3000])
        XCTAssertEqual(c.functions.map(\.id), [1, 2, 3, 4, 5])
        XCTAssertEqual(c.functions.map(\.name), ["main.leaf", "main.caller", "Ünïcødé.闭包", "__libc_start_main", ""])
        XCTAssertEqual(c.mappings.map(\.id), [1, 2])
        XCTAssertEqual(c.samples[1].locationIDs, [4])
        XCTAssertEqual(c.samples[0].numericUnits, ["align": ["bytes", "bytes"]])
        XCTAssertNoThrow(try c.validate())
        XCTAssertEqual(try c.compacted(), c)
    }

    func testScaled() {
        let p = Profile(
            sampleTypes: [ValueType(type: "a", unit: "count"), ValueType(type: "b", unit: "bytes")],
            samples: [Sample(locationIDs: [], values: [3, 5]), Sample(locationIDs: [], values: [1, -1]),
                      Sample(locationIDs: [], values: [Int64.max, Int64.min])])
        XCTAssertEqual(p.scaled(by: 1), p)
        // Halves round away from zero, as Go's math.Round.
        XCTAssertEqual(p.scaled(by: 0.5).samples.map(\.values), [[2, 3], [1, -1], [1 << 62, -(1 << 62)]])
        XCTAssertEqual(p.scaled(by: 0.25).samples.map(\.values), [[1, 1], [1 << 61, -(1 << 61)]])
        // Out of range and NaN give Int64.min, as Go's int64() on amd64 (printed by a Go
        // program on this machine: int64(math.Round(float64(v) * f)) for these v and f).
        XCTAssertEqual(p.scaled(by: -2).samples.map(\.values), [[-6, -10], [-2, 2], [Int64.min, Int64.min]])
        XCTAssertEqual(p.scaled(by: -1).samples.map(\.values), [[-3, -5], [-1, 1], [Int64.min, Int64.min]])
        XCTAssertEqual(p.scaled(by: 0).samples, [])
        XCTAssertEqual(p.scaled(by: .nan).samples.map(\.values), [[.min, .min], [.min, .min], [.min, .min]])
        XCTAssertEqual(p.scaled(by: .infinity).samples.map(\.values), [[.min, .min], [.min, .min], [.min, .min]])
        // So Int64.min cancels against itself: (min) + (min) wraps to 0 in the merge.
        let extreme = Profile(sampleTypes: p.sampleTypes, samples: [Sample(locationIDs: [], values: [1, Int64.min])])
        XCTAssertEqual(try extreme.subtracting(extreme).samples, [])
    }

    func testSampleIndexErrors() throws {
        let p = try Fixture.profile("heap.pb.gz")
        XCTAssertEqual(try p.sampleIndex(named: "alloc_objects"), 0)
        XCTAssertEqual(try p.sampleIndex(named: ""), 3)
        XCTAssertThrowsError(try p.sampleIndex(named: "4")) {
            XCTAssertEqual("\($0)", "sample index 4 is outside the range [0..3]")
        }
        XCTAssertThrowsError(try p.sampleIndex(named: "cpu")) {
            XCTAssertEqual("\($0)", "sample index \"cpu\" must be one of: [alloc_objects alloc_space inuse_objects inuse_space]")
        }
        let legacy = Profile(sampleTypes: [ValueType(type: "objects", unit: "count"), ValueType(type: "space", unit: "bytes")],
                             defaultSampleType: "objects")
        XCTAssertEqual(try legacy.sampleIndex(named: "inuse_space"), 1)
        XCTAssertEqual(try legacy.sampleIndex(), 0)
        XCTAssertThrowsError(try Profile().sampleIndex())
    }

    func testValidateMessages() {
        func message(_ edit: (inout Profile) -> Void) -> String? {
            var p = ProfileSamples.rich
            edit(&p)
            do { try p.validate(); return nil } catch { return error.message }
        }
        XCTAssertNil(message { _ in })
        XCTAssertEqual(message { $0.functions[0].id = 0 }, "function with reserved ID 0 (\"main.leaf\")")
        XCTAssertEqual(message { $0.functions[1].id = 10 }, "duplicate function ID 10")
        XCTAssertEqual(message { $0.locations[0].id = 0 }, "location with reserved ID 0 (address 0x5500001234)")
        XCTAssertEqual(message { $0.locations[2].lines[0].functionID = 0 }, "location 3 has a line without a function")
        XCTAssertEqual(message { $0.mappings[1].id = 0 }, "mapping with reserved ID 0 (file \"/lib/libc.so.6\")")
        XCTAssertEqual(message { $0.samples[0].numericUnits["align"] = ["bytes"] },
                       "sample 1 label \"align\" has 1 units for 2 values")
        XCTAssertEqual(message { $0.sampleTypes = [] }, "profile has 3 samples but no sample types")
    }
}
