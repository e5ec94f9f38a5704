#if canImport(Glibc)
import Glibc
#endif
import Memprof
import MemprofProfile
import XCTest

/// Lifetimes of freed sampled blocks land in the right power-of-ten class (the hook counts
/// microseconds from the TSC once calibrated, from clock_gettime before).
final class SampleLifetimeTests: XCTestCase {
    private var savedRate: Int64 = 0
    override func setUp() { savedRate = HeapProfile.samplingRate }
    override func tearDown() { HeapProfile.samplingRate = savedRate }

    /// Freed blocks allocated by `function`, by lifetime class.
    private func lifetimes(_ profile: Profile, _ function: String) throws -> [String: Int64] {
        let functions = Dictionary(uniqueKeysWithValues: profile.functions.map { ($0.id, $0.name) })
        let locations = Dictionary(uniqueKeysWithValues: profile.locations.map { ($0.id, $0) })
        let objects = try XCTUnwrap(profile.sampleTypes.firstIndex { $0.type == "alloc_objects" })
        var counts: [String: Int64] = [:]
        for s in profile.samples {
            guard let leaf = s.locationIDs.first, let line = locations[leaf]?.lines.first,
                  functions[line.functionID]?.contains(function) == true else { continue }
            for label in s.labels["lifetime"] ?? [] { counts[label, default: 0] += s.values[objects] }
        }
        return counts
    }

    func testFreedBlocksLandInTheirLifetimeClass() throws {
        HeapProfile.samplingRate = 1
        // Twice, some time apart: a lifetime may start before the TSC is calibrated (5 ms
        // after the first sample) and end after; later ones are TSC only. Each probe three
        // times a round: a loaded machine may preempt a probe or oversleep, which makes a
        // lifetime longer, never shorter.
        for round in 0..<2 {
            for _ in 0..<3 {
                lifetimeProbeShort()
                lifetimeProbe2ms()
                lifetimeProbe20ms()
            }
            if round == 0 { usleep(10_000) }
        }
        HeapProfile.samplingRate = 0
        let p = try HeapProfile.snapshot()
        let classes = HeapProfile.lifetimeClasses
        // Every block in its class or a longer one, and at least one in its class.
        func check(_ function: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let counts = try lifetimes(p, function)
            let lowest = try XCTUnwrap(classes.firstIndex(of: expected))
            XCTAssertEqual(counts.values.reduce(0, +), 6, "\(function): \(counts)", file: file, line: line)
            XCTAssertTrue(counts.keys.allSatisfy { (classes.firstIndex(of: $0) ?? -1) >= lowest }, "\(function): \(counts)",
                          file: file, line: line)
            XCTAssertGreaterThan(counts[expected] ?? 0, 0, "\(function): \(counts)", file: file, line: line)
        }
        // Without a sleep the block lives well under a millisecond: any of the four classes
        // below 1 ms, and none above it unless preempted (so the most of them below).
        let short = try lifetimes(p, "lifetimeProbeShort")
        XCTAssertEqual(short.values.reduce(0, +), 6, "\(short)")
        let belowOneMs = classes.prefix(4).reduce(Int64(0)) { $0 + (short[$1] ?? 0) }
        XCTAssertGreaterThanOrEqual(belowOneMs, 4, "\(short)")
        try check("lifetimeProbe2ms", "1ms-10ms")
        try check("lifetimeProbe20ms", "10ms-100ms")
    }

    /// At rates below 64 KiB a site's blocks are timed one in 16 after its first 64; the
    /// others are spread over the classes its timed ones fell in, temporaries after the timed
    /// temporaries. The classes' sums and the temporaries stay exact, and the split follows
    /// the lifetimes.
    func testUntimedBlocksFollowTheTimedOnesOfTheirSite() throws {
        HeapProfile.samplingRate = 1
        lifetimeMixedSite(pairs: 2000)
        lifetimeKeptFirstSite(kept: 64, temporaries: 100)
        HeapProfile.samplingRate = 0
        let p = try HeapProfile.snapshot()
        let classes = HeapProfile.lifetimeClasses
        let temporaryIndex = try XCTUnwrap(p.sampleTypes.firstIndex { $0.type == "temporary_objects" })
        func temporaries(_ function: String) -> [String: Int64] {
            var out: [String: Int64] = [:]
            for s in p.samples where siteOf(s, in: p)?.contains(function) == true {
                for label in s.labels["lifetime"] ?? [] { out[label, default: 0] += s.values[temporaryIndex] }
            }
            return out
        }
        // 2000 temporaries (freed at once) and 2000 blocks kept 20 ms, interleaved: about 310
        // of the 4000 timed. Each half's estimate is 2000 +- 100 (one standard deviation).
        let mixed = try lifetimes(p, "lifetimeMixedBlock")
        XCTAssertEqual(mixed.values.reduce(0, +), 4000, "\(mixed)")
        let short = classes.prefix(4).reduce(Int64(0)) { $0 + (mixed[$1] ?? 0) }   // below 1 ms
        let long = classes.suffix(from: 5).reduce(Int64(0)) { $0 + (mixed[$1] ?? 0) }  // 10 ms and more
        XCTAssertTrue((1500...2500).contains(short), "short \(short): \(mixed)")
        XCTAssertTrue((1500...2500).contains(long), "long \(long): \(mixed)")
        let mixedTemporaries = temporaries("lifetimeMixedBlock")
        // The 2000 freed at once, and the last one kept: nothing was allocated after it.
        XCTAssertEqual(mixedTemporaries.values.reduce(0, +), 2001, "\(mixedTemporaries)")
        let longTemporaries = classes.suffix(from: 5).reduce(Int64(0)) { $0 + (mixedTemporaries[$1] ?? 0) }
        XCTAssertLessThan(longTemporaries, 200, "temporaries follow the timed temporaries: \(mixedTemporaries)")
        for c in classes {
            XCTAssertLessThanOrEqual(mixedTemporaries[c] ?? 0, mixed[c] ?? 0, "\(c): no class has more temporaries than frees")
        }
        // 64 blocks still live, then 100 temporaries of which about 6 timed: every temporary
        // counted, in a class or (none of them timed) in `unknown`.
        let keptFirst = try lifetimes(p, "lifetimeKeptFirstBlock")
        XCTAssertEqual(keptFirst["live"], 64, "\(keptFirst)")
        XCTAssertEqual(keptFirst.filter { $0.key != "live" }.values.reduce(0, +), 100, "\(keptFirst)")
        XCTAssertEqual(temporaries("lifetimeKeptFirstBlock").values.reduce(0, +), 100)
        lifetimeKeptFirstSite(kept: 0, temporaries: 0)  // frees the 64
    }
}

/// The function of a sample's leaf frame.
private func siteOf(_ sample: Sample, in profile: Profile) -> String? {
    guard let leaf = sample.locationIDs.first, let location = profile.locations.first(where: { $0.id == leaf }),
          let line = location.lines.first else { return nil }
    return profile.functions.first { $0.id == line.functionID }?.name
}

/// `pairs` temporaries (freed before the next allocation) interleaved with as many blocks
/// kept for 20 ms, all from one call site and of one size.
@inline(never)
func lifetimeMixedSite(pairs: Int) {
    let kept = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: pairs)
    for i in 0..<2 * pairs {
        let p = lifetimeMixedBlock()
        if i % 2 == 0 { free(p) } else { kept[i / 2] = p }
    }
    usleep(20_000)
    for i in 0..<pairs { free(kept[i]) }
    kept.deallocate()
}

@inline(never)
func lifetimeMixedBlock() -> UnsafeMutableRawPointer? { malloc(1_111) }

/// `kept` blocks held until the next call, then `temporaries` freed at once (one site, one size).
@inline(never)
func lifetimeKeptFirstSite(kept: Int, temporaries: Int) {
    for p in keptFirstBlocks { free(p) }
    keptFirstBlocks = []
    keptFirstBlocks.reserveCapacity(kept)
    for _ in 0..<kept { keptFirstBlocks.append(lifetimeKeptFirstBlock()) }
    for _ in 0..<temporaries { free(lifetimeKeptFirstBlock()) }
}

nonisolated(unsafe) private var keptFirstBlocks: [UnsafeMutableRawPointer?] = []

@inline(never)
func lifetimeKeptFirstBlock() -> UnsafeMutableRawPointer? { malloc(1_113) }

@inline(never)
func lifetimeProbeShort() { free(malloc(777)) }

@inline(never)
func lifetimeProbe2ms() {
    let p = malloc(778)
    usleep(2_000)
    free(p)
}

@inline(never)
func lifetimeProbe20ms() {
    let p = malloc(779)
    usleep(20_000)
    free(p)
}
