#if canImport(Glibc)
import Glibc
#endif
import Memprof
import XCTest

/// Exact counts of each C entry point and of Swift allocations, measured with the calling
/// thread's own counters so other threads cannot disturb them.
final class ExactCountsTests: XCTestCase {
    override func setUp() {
        // Resolve the dlsym'd entry points before any measured span.
        _ = (cMemalign, cPvalloc, malloc_usable_size)
    }

    private func measure(_ body: () -> Void) -> AllocationCounters.Delta {
        let before = AllocationCounters.readCurrentThread()
        body()
        return AllocationCounters.readCurrentThread().since(before)
    }

    private func assertCounts(_ d: AllocationCounters.Delta, allocations: UInt64, frees: UInt64,
                              requested: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(d.allocations, allocations, "allocations", file: file, line: line)
        XCTAssertEqual(d.frees, frees, "frees", file: file, line: line)
        XCTAssertEqual(d.requestedBytes, requested, "requested bytes", file: file, line: line)
    }

    func testMallocAndFreeCountUsableBytes() {
        var p: UnsafeMutableRawPointer?
        let a = measure { p = malloc(100) }
        assertCounts(a, allocations: 1, frees: 0, requested: 100)
        XCTAssertEqual(a.allocatedBytes, UInt64(malloc_usable_size(p)))
        XCTAssertEqual(a.liveBytes, Int64(malloc_usable_size(p)))
        let f = measure { free(p) }
        assertCounts(f, allocations: 0, frees: 1, requested: 0)
        XCTAssertEqual(f.freedBytes, a.allocatedBytes)
        assertCounts(measure { free(nil) }, allocations: 0, frees: 0, requested: 0)
    }

    func testEachEntryPoint() {
        var p: UnsafeMutableRawPointer?
        assertCounts(measure { p = calloc(10, 30) }, allocations: 1, frees: 0, requested: 300)
        XCTAssertTrue(UnsafeRawBufferPointer(start: p, count: 300).allSatisfy { $0 == 0 })
        free(p)
        assertCounts(measure { p = realloc(nil, 50) }, allocations: 1, frees: 0, requested: 50)
        let grown = measure { p = realloc(p, 5000) }
        assertCounts(grown, allocations: 1, frees: 1, requested: 5000)
        XCTAssertEqual(grown.allocatedBytes, UInt64(malloc_usable_size(p)))
        assertCounts(measure { p = realloc(p, 0) }, allocations: 0, frees: 1, requested: 0)
        XCTAssertNil(p)
        var q: UnsafeMutableRawPointer?
        assertCounts(measure { XCTAssertEqual(posix_memalign(&q, 64, 200), 0) }, allocations: 1, frees: 0, requested: 200)
        XCTAssertEqual(Int(bitPattern: q) % 64, 0)
        free(q)
        assertCounts(measure { p = aligned_alloc(128, 256) }, allocations: 1, frees: 0, requested: 256)
        XCTAssertEqual(Int(bitPattern: p) % 128, 0)
        free(p)
        assertCounts(measure { p = cMemalign(32, 70) }, allocations: 1, frees: 0, requested: 70)
        free(p)
        assertCounts(measure { p = valloc(10) }, allocations: 1, frees: 0, requested: 10)
        XCTAssertEqual(Int(bitPattern: p) % Int(getpagesize()), 0)
        free(p)
        assertCounts(measure { p = cPvalloc(10) }, allocations: 1, frees: 0, requested: 10)
        free(p)
        assertCounts(measure { p = reallocarray(nil, 4, 25) }, allocations: 1, frees: 0, requested: 100)
        free(p)
        let zero = measure { p = malloc(0) }
        assertCounts(zero, allocations: 1, frees: 0, requested: 0)
        XCTAssertNotNil(p)
        XCTAssertEqual(zero.allocatedBytes, UInt64(malloc_usable_size(p)))
        free(p)
    }

    func testImpossibleSizesFailWithENOMEMAndCountNothing() {
        for attempt in [{ malloc(Int.max) }, { calloc(Int.max, 2) }, { calloc(2, Int.max / 2 + 1) },
                        { reallocarray(nil, Int.max, 2) }, { realloc(nil, Int.max) }, { cMemalign(64, Int.max) }] {
            var p: UnsafeMutableRawPointer? = UnsafeMutableRawPointer(bitPattern: 1)
            errno = 0
            let before = AllocationCounters.readCurrentThread()
            p = attempt()
            let saved = errno
            let after = AllocationCounters.readCurrentThread()
            XCTAssertNil(p)
            XCTAssertEqual(saved, ENOMEM)
            assertCounts(after.since(before), allocations: 0, frees: 0, requested: 0)
            XCTAssertEqual(after.failedAllocations - before.failedAllocations, 1)
        }
        var q: UnsafeMutableRawPointer?
        let bad = measure { XCTAssertEqual(posix_memalign(&q, 3, 10), EINVAL) }
        assertCounts(bad, allocations: 0, frees: 0, requested: 0)
        let huge = measure { XCTAssertEqual(posix_memalign(&q, 64, Int.max), ENOMEM) }
        assertCounts(huge, allocations: 0, frees: 0, requested: 0)
    }

    func testErrnoIsPreservedBySuccessfulCalls() {
        errno = 1234
        let p = malloc(64)
        XCTAssertEqual(errno, 1234)
        free(p)
        XCTAssertEqual(errno, 1234)
    }

    func testUsableSizeIsUnchanged() {
        // Swift's Array takes its capacity from malloc_usable_size: the hook adds no header.
        for size in [1, 24, 25, 100, 1000, 70_000, 300_000, 4 << 20] {
            let p = malloc(size)!
            let usable = malloc_usable_size(p)
            XCTAssertGreaterThanOrEqual(usable, size)
            XCTAssertLessThan(usable, size + 4096 + 32, "no hidden header for \(size)")
            free(p)
        }
        XCTAssertTrue(Memprof.hookStatus().readsChunkHeader)
    }

    func testSwiftClassInstances() {
        final class TwoWords { var a = 1, b = 2 }
        let d = measure {
            for _ in 0..<1000 { blackHole(TwoWords()) }
        }
        // Header (metadata + refcount) + two Int fields = 32 bytes each.
        assertCounts(d, allocations: 1000, frees: 1000, requested: 32_000)
        XCTAssertEqual(d.liveBytes, 0)
    }

    func testArrayAndStringStorage() {
        var kept: [Int] = []
        let a = measure { kept = [Int](repeating: 7, count: 100) }
        // One buffer: 32 bytes of header (object header, count, capacity) + 800 bytes.
        assertCounts(a, allocations: 1, frees: 0, requested: 832)
        XCTAssertEqual(kept.capacity, (Int(a.allocatedBytes) - 32) / 8, "capacity comes from usable size")
        var s = ""
        let b = measure { s = String(repeating: "x", count: 100) }
        XCTAssertEqual(b.allocations, 1)
        XCTAssertGreaterThanOrEqual(b.requestedBytes, 100 + 32)
        let c = measure { kept = []; s = "" }
        assertCounts(c, allocations: 0, frees: 2, requested: 0)
    }

    func testProcessCountersIncludeThisThread() {
        let before = AllocationCounters.read()
        var blocks: [UnsafeMutableRawPointer?] = []
        blocks.reserveCapacity(10_000)
        for _ in 0..<10_000 { blocks.append(malloc(1000)) }
        let during = AllocationCounters.read()
        XCTAssertGreaterThanOrEqual(during.allocations - before.allocations, 10_000)
        XCTAssertGreaterThanOrEqual(during.liveBytes, before.liveBytes + 10_000_000)
        XCTAssertGreaterThanOrEqual(during.peakLiveBytes, during.liveBytes)
        for p in blocks { free(p) }
        let after = AllocationCounters.read()
        XCTAssertGreaterThanOrEqual(after.peakLiveBytes, during.liveBytes)
        XCTAssertLessThan(after.liveBytes, during.liveBytes - 9_000_000)
    }
}

@inline(never)
func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

