#if canImport(Glibc)
import Glibc
#endif
import Memprof
import XCTest

/// Counts stay exact across threads that exit, and with cross-thread frees.
final class ThreadCountsTests: XCTestCase {
    func testThreadsThatExitedAreStillCounted() {
        let count = 16
        let before = AllocationCounters.read()
        // Raw buffers, not Swift arrays: nothing else allocates or frees in the measured spans.
        let threads = UnsafeMutablePointer<pthread_t>.allocate(capacity: count)
        let kept = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: count)
        defer {
            threads.deallocate()
            kept.deallocate()
        }
        for i in 0..<count {
            pthread_create(&threads[i], nil, { _ in
                for _ in 0..<10_000 { free(malloc(48)) }
                return malloc(4096)
            }, nil)
        }
        for i in 0..<count { pthread_join(threads[i], &kept[i]) }
        let after = AllocationCounters.read()
        // At least the threads' own work; thread start-up and the runner may add a little.
        XCTAssertGreaterThanOrEqual(after.allocations - before.allocations, UInt64(count * 10_001))
        XCTAssertGreaterThanOrEqual(after.frees - before.frees, UInt64(count * 10_000))
        XCTAssertGreaterThanOrEqual(after.liveBytes + UInt64(count * 1024), before.liveBytes + UInt64(count * 4104))
        let usable = UInt64(malloc_usable_size(kept[0]))
        let local = AllocationCounters.readCurrentThread()
        for i in 0..<count { free(kept[i]) }
        let freed = AllocationCounters.readCurrentThread().since(local)
        XCTAssertEqual(freed.frees, UInt64(count), "blocks from exited threads are freed here")
        XCTAssertEqual(freed.freedBytes, UInt64(count) * usable)
        XCTAssertEqual(freed.liveBytes, -Int64(UInt64(count) * usable))
    }
}
