import Foundation
import Memprof
import MemprofProfile
import XCTest
@testable import MemprofHTTP

/// What continuous profilers request, served as they expect: Grafana Alloy's
/// `pyroscope.scrape` (profile.memory: /debug/pprof/allocs, with seconds= when delta = true;
/// profile.godeltaprof_memory: /debug/pprof/delta_heap) and Parca's scrape_configs
/// (memory_total: /debug/pprof/allocs?seconds=N; memory: /debug/pprof/heap). The README
/// gives both configurations.
final class ContinuousProfilerScrapeTests: XCTestCase {
    let handler = MemprofRequestHandler()

    func testDeltaHeapCountsAllocationsSinceThePreviousRequest() async throws {
        let savedRate = HeapProfile.samplingRate
        HeapProfile.samplingRate = 4096
        defer { HeapProfile.samplingRate = savedRate }
        let first = httpTestKeepEightMiB()
        defer { free(first) }
        let one = await handler.get("/debug/pprof/delta_heap")
        XCTAssertEqual(one.status, 200, one.text)
        let p1 = try Profile.parse(one.body)
        XCTAssertEqual(p1.sampleTypes, HeapProfile.sampleTypes)
        XCTAssertEqual(p1.defaultSampleType, "inuse_space")
        // The first request: everything since the start.
        XCTAssertGreaterThanOrEqual(p1.total("alloc_space", inFunction: "httpTestKeepEightMiB"), 8 << 20)

        let second = httpTestKeepEightMiBLater()
        defer { free(second) }
        let two = await handler.get("/debug/pprof/delta_heap")
        XCTAssertEqual(two.status, 200, two.text)
        let p2 = try Profile.parse(two.body)
        // alloc_* are since the previous request: the first block is not allocated again...
        XCTAssertEqual(p2.total("alloc_space", inFunction: "httpTestKeepEightMiB("), 0)
        XCTAssertGreaterThanOrEqual(p2.total("alloc_space", inFunction: "httpTestKeepEightMiBLater"), 8 << 20)
        // ...while inuse_* are the heap now, both blocks.
        XCTAssertGreaterThanOrEqual(p2.total("inuse_space", inFunction: "httpTestKeepEightMiB("), 8 << 20)
        XCTAssertGreaterThanOrEqual(p2.total("inuse_space", inFunction: "httpTestKeepEightMiBLater"), 8 << 20)
        let wait = await handler.get("/debug/pprof/delta_heap?seconds=5")
        XCTAssertEqual(wait.status, 400, wait.text)
    }

    func testWhatAlloyAndParcaRequestIsServed() async throws {
        let block = httpTestKeepEightMiB()
        defer { free(block) }
        // Alloy profile.memory (delta = false), Parca memory: absolute profiles.
        for (uri, defaultType) in [("/debug/pprof/allocs", "alloc_space"), ("/debug/pprof/heap", "inuse_space")] {
            let r = await handler.get(uri)
            XCTAssertEqual(r.status, 200, "\(uri): \(r.text)")
            let p = try Profile.parse(r.body)
            XCTAssertEqual(Array(p.sampleTypes.prefix(4).map(\.type)), ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"],
                           "Go's four types first, the names scrapers key on")
            XCTAssertEqual(p.defaultSampleType, defaultType, uri)
        }
        // Alloy profile.memory with delta = true, Parca memory_total: seconds= deltas.
        let r = await handler.get("/debug/pprof/allocs?seconds=1")
        XCTAssertEqual(r.status, 200, r.text)
        let delta = try Profile.parse(r.body)
        XCTAssertGreaterThan(delta.durationNanos, 900_000_000)
        XCTAssertEqual(delta.total("alloc_space", inFunction: "httpTestKeepEightMiB"), 0, "allocated before the window")
    }
}
