#if canImport(Glibc)
import Glibc
#endif
import Memprof
import MemprofProfile

/// Allocates `megabytes` MB in sizes from 16 B to 1 MiB (log-uniform), keeps one block in
/// `keepOneIn`, then compares the sampled profile's alloc and inuse totals with the exact
/// counters over the same span. Prints one JSON object.
func accuracyRun(megabytes: Int, keepOneIn: UInt64) throws -> String {
    var rng: UInt64 = 0x9E3779B97F4A7C15
    func next() -> UInt64 {
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
        return rng
    }
    let target = UInt64(megabytes) * 1_000_000
    var kept: [UnsafeMutableRawPointer] = []
    kept.reserveCapacity(1 << 20)
    let before = try HeapProfile.snapshot()
    let start = AllocationCounters.readCurrentThread()
    var allocated: UInt64 = 0
    while allocated < target {
        let exponent = Double(next() % 1_000_000) / 1_000_000 * 16  // 2^4 .. 2^20
        let size = Int(pow(2.0, 4 + exponent))
        let p = malloc(size)!
        allocated += UInt64(size)
        if next() % keepOneIn == 0 { kept.append(p) } else { free(p) }
    }
    let exact = AllocationCounters.readCurrentThread().since(start)
    let after = try HeapProfile.snapshot()
    // The program's own samples: the profiler's pseudo-frames (`[memprof: own work]`, the
    // allocations of building `before` itself) are not what the sampling estimates.
    func sum(_ p: Profile, _ index: Int) -> Double {
        let pseudo = Set(p.functions.filter { $0.name.hasPrefix("[memprof:") }.map(\.id))
        let pseudoLocations = Set(p.locations.filter { $0.lines.contains { pseudo.contains($0.functionID) } }.map(\.id))
        return Double(p.samples.reduce(0) { total, s in
            s.locationIDs.first.map(pseudoLocations.contains) == true ? total : total + s.values[index]
        })
    }
    let sampledAlloc = sum(after, 1) - sum(before, 1)
    let sampledInuse = sum(after, 3) - sum(before, 3)
    // Exact inuse over the span: what this thread allocated and did not free (the kept blocks).
    let exactInuse = Double(kept.reduce(0) { $0 + malloc_usable_size($1) })
    let allocError = (sampledAlloc - Double(exact.allocatedBytes)) / Double(exact.allocatedBytes) * 100
    let inuseError = (sampledInuse - exactInuse) / exactInuse * 100
    for p in kept { free(p) }
    return "{\"rate\":\(HeapProfile.samplingRate),\"exact_alloc_bytes\":\(exact.allocatedBytes),\"sampled_alloc_bytes\":\(Int64(sampledAlloc)),"
        + "\"alloc_error_percent\":\(rounded(allocError)),\"exact_inuse_bytes\":\(Int64(exactInuse)),"
        + "\"sampled_inuse_bytes\":\(Int64(sampledInuse)),\"inuse_error_percent\":\(rounded(inuseError))}"
}

private func rounded(_ x: Double) -> Double { (x * 100).rounded() / 100 }

// malloc_usable_size lives in <malloc.h>, which the Glibc module does not export.
private let malloc_usable_size = unsafeBitCast(
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_usable_size")!,
    to: (@convention(c) (UnsafeMutableRawPointer?) -> Int).self)
