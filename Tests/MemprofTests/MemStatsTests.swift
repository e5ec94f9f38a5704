#if canImport(Glibc)
import Glibc
#endif
import Memprof
import XCTest

/// MemStats: Go's names over the exact counters and glibc's statistics.
final class MemStatsTests: XCTestCase {
    func testFieldsFollowTheCountersAndTheHeap() {
        let before = MemStats.read()
        let big = malloc(50_000_000)!     // served by its own mmap
        memset(big, 1, 50_000_000)
        var small: [UnsafeMutableRawPointer?] = []
        small.reserveCapacity(10_000)
        for _ in 0..<10_000 { small.append(malloc(100)) }
        let during = MemStats.read()
        XCTAssertEqual(during.alloc, during.heapAlloc)
        XCTAssertGreaterThanOrEqual(during.alloc, before.alloc + 50_000_000 + 10_000 * 100 - 1_000_000)
        XCTAssertGreaterThanOrEqual(during.totalAlloc, before.totalAlloc + 51_000_000)
        XCTAssertGreaterThanOrEqual(during.mallocs - before.mallocs, 10_001)
        XCTAssertEqual(during.heapObjects, during.mallocs - during.frees)
        XCTAssertGreaterThanOrEqual(during.mmappedBytes, 50_000_000, "the big block is an mmapped chunk")
        XCTAssertGreaterThanOrEqual(during.heapSys, during.heapInuse)
        XCTAssertGreaterThanOrEqual(during.heapSys, 50_000_000)
        XCTAssertEqual(during.sys, during.heapSys)
        XCTAssertGreaterThanOrEqual(during.peakAlloc, during.alloc)
        XCTAssertGreaterThanOrEqual(during.totalRequested - before.totalRequested, 51_000_000)
        free(big)
        for p in small { free(p) }
        let after = MemStats.read()
        XCTAssertLessThanOrEqual(after.alloc + 40_000_000, during.alloc)
        XCTAssertGreaterThanOrEqual(after.peakAlloc, during.alloc, "the peak remembers")
        XCTAssertLessThan(after.mmappedBytes + 40_000_000, during.mmappedBytes + 1, "unmapped at free")
    }

    func testReleasedGrowsAfterReleasingFreeMemory() {
        // Every other 9000-byte block freed: the holes are between live blocks, so glibc
        // keeps them (idle) and cannot shrink the heap; each hole holds at least one whole page that
        // malloc_trim can give back.
        var blocks: [UnsafeMutableRawPointer?] = []
        blocks.reserveCapacity(20_000)
        for _ in 0..<20_000 { blocks.append(memset(malloc(9000), 7, 9000)) }
        for i in stride(from: 0, to: blocks.count, by: 2) { free(blocks[i]) }
        let before = MemStats.read()
        XCTAssertGreaterThan(before.heapIdle, 40_000_000, "glibc keeps the freed chunks")
        _ = Memprof.releaseFreeMemory()
        let after = MemStats.read()
        XCTAssertGreaterThan(after.heapReleased, before.heapReleased + 30_000_000, "malloc_trim gave pages back")
        for i in stride(from: 1, to: blocks.count, by: 2) { free(blocks[i]) }
    }

    func testHookStatusOfThisBinary() {
        let status = Memprof.hookStatus()
        XCTAssertTrue(status.isActive, "bypassed: \(status.bypassed)")
        XCTAssertTrue(status.readsChunkHeader)
    }
}
