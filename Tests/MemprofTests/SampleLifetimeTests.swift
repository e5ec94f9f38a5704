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
        // after the first sample) and end after; later ones are TSC only.
        for round in 0..<2 {
            lifetimeProbeShort()
            lifetimeProbe2ms()
            lifetimeProbe20ms()
            if round == 0 { usleep(10_000) }
        }
        HeapProfile.samplingRate = 0
        let p = try HeapProfile.snapshot()
        let short = try lifetimes(p, "lifetimeProbeShort"), two = try lifetimes(p, "lifetimeProbe2ms")
        let twenty = try lifetimes(p, "lifetimeProbe20ms")
        XCTAssertEqual(short.values.reduce(0, +), 2, "\(short)")
        // Without a sleep the block lives well under a millisecond (the slowest CI machine
        // included); usleep may oversleep, by less than the class's upper bound here.
        XCTAssertTrue(short.keys.allSatisfy { ["<1us", "1us-10us", "10us-100us", "100us-1ms"].contains($0) }, "\(short)")
        XCTAssertEqual(two, ["1ms-10ms": 2])
        XCTAssertEqual(twenty, ["10ms-100ms": 2])
    }
}

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
