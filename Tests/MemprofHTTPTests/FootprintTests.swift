import Foundation
import Memprof
import MemprofProfile
import XCTest

/// The profiler's own cost in a quiet service (`memprof-http-demo --threads 0` holding 20 MiB):
/// serving profiles must not inflate it, and what it keeps is shown under its own name.
final class FootprintTests: XCTestCase {
    static let heapBudget = 2 << 20
    static let rssBudget = 4 << 20

    func testFirstAndTenMoreProfilesStayWithinTheBudget() throws {
        let service = try DemoService(arguments: ["--threads", "0", "--keep-mib", "20"])
        defer { service.stop() }
        // /debug/memstats itself, read once before measuring.
        _ = try service.memory()
        let before = try service.memory()
        var times: [Double] = []
        var inuse: Int64 = 0
        var own: Int64 = 0
        for _ in 0..<11 {
            let start = DispatchTime.now().uptimeNanoseconds
            let body = try service.get("/debug/pprof/heap").body
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let profile = try Profile.parse(body)
            inuse = profile.samples.reduce(0) { $0 + $1.values[3] }
            own = ownMemory(profile)
        }
        let after = try service.memory()
        let stats = try service.memstats()
        report(String(format: "footprint: heap %@ -> %@ (+%@), RSS %@ -> %@ (+%@) over 11 profiles; first %.0f ms, "
                      + "later median %.0f ms; profiler heap %@ (profile's pseudo-frame %@), profile inuse %@",
                      mebibytes(before.heap), mebibytes(after.heap), mebibytes(after.heap - before.heap),
                      mebibytes(before.rss), mebibytes(after.rss), mebibytes(after.rss - before.rss),
                      times[0], times.dropFirst().sorted()[5], mebibytes(stats["profilerHeap"] ?? -1),
                      mebibytes(Int(own)), mebibytes(Int(inuse))))
        XCTAssertGreaterThan(before.heap, 20 << 20, "the demo holds 20 MiB")
        XCTAssertLessThanOrEqual(after.heap - before.heap, Self.heapBudget)
        XCTAssertLessThanOrEqual(after.rss - before.rss, Self.rssBudget)
        // What the symbolizer keeps is never hidden: in MemStats and in the profile.
        XCTAssertGreaterThan(stats["profilerHeap"] ?? 0, 0)
        XCTAssertGreaterThan(own, 0, "the profile carries [memprof: symbol tables]")
        XCTAssertGreaterThan(stats["buckHashSys"] ?? 0, 0)
    }

    /// Every allocation sampled: the profile's inuse total (with the profiler's pseudo-frame)
    /// accounts for the heap that `heapAlloc` reports.
    func testProfileInuseReconcilesWithHeapAlloc() throws {
        let service = try DemoService(arguments: ["--threads", "0", "--keep-mib", "4"], environment: ["MEMPROF_RATE": "1"])
        defer { service.stop() }
        try service.get("/debug/pprof/heap")
        let profile = try Profile.parse(try service.get("/debug/pprof/heap").body)
        let stats = try service.memstats()
        let inuse = profile.samples.reduce(0) { $0 + $1.values[3] }
        let own = ownMemory(profile)
        let heap = Int64(stats["heapAlloc"] ?? 0)
        report("reconcile: profile inuse \(inuse) bytes, of which [memprof: symbol tables] \(own); heapAlloc \(heap); "
               + "profilerHeap \(stats["profilerHeap"] ?? 0)")
        XCTAssertGreaterThan(own, 0)
        // Within 10%: blocks allocated before the hook started and between the two requests.
        XCTAssertLessThan(abs(Double(inuse - heap)) / Double(heap), 0.10)
    }

    private func ownMemory(_ profile: Profile) -> Int64 {
        let ids = Set(profile.functions.filter { $0.name == "[memprof: symbol tables]" }.map(\.id))
        let locations = Set(profile.locations.filter { $0.lines.contains { ids.contains($0.functionID) } }.map(\.id))
        return profile.samples.filter { $0.locationIDs.contains { locations.contains($0) } }.reduce(0) { $0 + $1.values[3] }
    }
}
