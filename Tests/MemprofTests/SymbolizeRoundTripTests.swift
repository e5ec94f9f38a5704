#if canImport(Glibc)
import Glibc
#endif
import Memprof
import MemprofProfile
import MemprofSymbolication
import XCTest

@inline(never)
func keepBlocksForRoundTripTest(_ count: Int) -> [UnsafeMutableRawPointer?] {
    (0..<count).map { _ in malloc(3000) }
}

/// `symbolize=false` serves addresses, mappings and build IDs only; `ProfileSymbolizer`
/// (behind `memprof symbolize` and every `memprof` report) names such a profile from the
/// binaries on disk exactly as the process would have.
final class SymbolizeRoundTripTests: XCTestCase {
    func testUnsymbolizedProfileSymbolizesToTheSameStacks() throws {
        let saved = HeapProfile.samplingRate
        HeapProfile.samplingRate = 1
        let blocks = keepBlocksForRoundTripTest(300)
        HeapProfile.samplingRate = saved
        defer { blocks.forEach { free($0) } }

        let raw = try HeapProfile.snapshot(symbolize: false)
        let named = try HeapProfile.snapshot()
        XCTAssertTrue(ProfileSymbolizer.needsSymbols(raw))
        XCTAssertFalse(ProfileSymbolizer.needsSymbols(named))
        XCTAssertTrue(raw.functions.allSatisfy { $0.name.hasPrefix("[memprof") }, "only pseudo-frames have names")
        XCTAssertTrue(raw.locations.allSatisfy { $0.lines.isEmpty || $0.address == 0 })
        XCTAssertFalse(raw.mappings.isEmpty)
        XCTAssertFalse(raw.mappings[0].buildID.isEmpty, "the main executable's build ID is recorded")
        // It is a valid profile as served (go tool pprof reads it), and encodes and parses back.
        let reparsed = try Profile.parse(raw.encoded(gzip: true))
        XCTAssertTrue(ProfileSymbolizer.needsSymbols(reparsed))

        let result = ProfileSymbolizer.symbolize(reparsed)
        XCTAssertEqual(result.warnings, [])
        XCTAssertFalse(ProfileSymbolizer.needsSymbols(result.profile))
        let mine = stacks(result.profile), theirs = stacks(named)
        XCTAssertGreaterThan(mine.count, 0)
        for (stack, objects) in mine {
            // Blocks allocated between the two snapshots can only add.
            XCTAssertGreaterThanOrEqual(theirs[stack] ?? -1, objects, stack)
        }
        // The 300 blocks (and the array holding them) are found under the allocating
        // function, after the same trimming of allocator frames as in process.
        func kept(_ stacks: [String: Int64]) -> Int64 {
            stacks.filter { $0.key.contains("keepBlocksForRoundTripTest") }.values.reduce(0, +)
        }
        XCTAssertGreaterThanOrEqual(kept(mine), 300)
        XCTAssertEqual(kept(mine), kept(theirs))
        XCTAssertFalse(mine.keys.contains { $0.hasPrefix("swift_slowAlloc") || $0.hasPrefix("malloc") }, "trimmed")
        XCTAssertEqual(result.profile.mappings.map(\.file), named.mappings.map(\.file))
        XCTAssertEqual(result.profile.mappings.map(\.hasFunctions), named.mappings.map(\.hasFunctions))
    }

    func testARebuiltBinaryIsNotSymbolizedAndSaysWhy() throws {
        var raw = try HeapProfile.snapshot(symbolize: false)
        raw.mappings[0].buildID = String(repeating: "ab", count: 20)
        let result = ProfileSymbolizer.symbolize(raw)
        XCTAssertTrue(result.warnings.contains { $0.contains("build ID") && $0.contains(raw.mappings[0].file) },
                      "\(result.warnings)")
        let first = result.profile.locations.filter { $0.mappingID == 1 }
        XCTAssertTrue(first.allSatisfy { $0.lines.isEmpty }, "nothing named from a different binary")
    }

    /// Function names along each stack (leaf first) -> alloc_objects.
    private func stacks(_ profile: Profile) -> [String: Int64] {
        let functions = Dictionary(uniqueKeysWithValues: profile.functions.map { ($0.id, $0.name) })
        let locations = Dictionary(uniqueKeysWithValues: profile.locations.map { ($0.id, $0) })
        var result: [String: Int64] = [:]
        for sample in profile.samples {
            let names = sample.locationIDs.flatMap { id in
                (locations[id]?.lines ?? []).map { functions[$0.functionID] ?? "?" }
            }
            let size = sample.numericLabels["bytes"]?.first ?? 0
            result[names.joined(separator: " < ") + " #\(size)", default: 0] += sample.values[0]
        }
        return result
    }
}
