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
