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

/// 8 threads × 1M mixed operations with cross-thread frees: each thread's counters are exact,
/// and the process totals hold all of them.
final class ConcurrentCountsTests: XCTestCase {
    final class Mailbox: @unchecked Sendable {
        var slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1024)
        var mutex = pthread_mutex_t()
        init() {
            slots.initialize(repeating: nil, count: 1024)
            pthread_mutex_init(&mutex, nil)
        }
    }

    struct ThreadResult {
        var allocations: UInt64 = 0, frees: UInt64 = 0, requested: UInt64 = 0
        var measured: AllocationCounters.Delta? = nil
    }

    func testEightThreadsMillionOperationsCrossThreadFrees() {
        let threads = 8, operations = 1_000_000
        let boxes = (0..<threads).map { _ in Mailbox() }
        let results = UnsafeMutableBufferPointer<ThreadResult>.allocate(capacity: threads)
        results.initialize(repeating: ThreadResult())
        defer { results.deallocate() }
        let before = AllocationCounters.read()
        var ids: [pthread_t] = []
        final class Context { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
        for t in 0..<threads {
            let context = Unmanaged.passRetained(Context {
                let mine = boxes[t], next = boxes[(t + 1) % threads]
                var r = ThreadResult()
                let start = AllocationCounters.readCurrentThread()
                for i in 0..<operations {
                    let size = 8 + (i &* 40503) % 700
                    let p = malloc(size)
                    r.allocations += 1
                    r.requested += UInt64(size)
                    switch i % 3 {
                    case 0:
                        free(p)
                        r.frees += 1
                    case 1:
                        // Give it to the next thread; free whatever it had not taken yet.
                        pthread_mutex_lock(&next.mutex)
                        let old = next.slots[i % 1024]
                        next.slots[i % 1024] = p
                        pthread_mutex_unlock(&next.mutex)
                        if old != nil { free(old); r.frees += 1 }
                    default:
                        // Free one the previous thread handed over (cross-thread free), keep p.
                        pthread_mutex_lock(&mine.mutex)
                        let theirs = mine.slots[(i + 7) % 1024]
                        mine.slots[(i + 7) % 1024] = nil
                        pthread_mutex_unlock(&mine.mutex)
                        if theirs != nil { free(theirs); r.frees += 1 }
                        free(p)
                        r.frees += 1
                    }
                }
                r.measured = AllocationCounters.readCurrentThread().since(start)
                results[t] = r
            }).toOpaque()
            var id = pthread_t()
            pthread_create(&id, nil, { raw in
                Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, context)
            ids.append(id)
        }
        for id in ids { pthread_join(id, nil) }
        var leftovers: UInt64 = 0
        for box in boxes { for i in 0..<1024 where box.slots[i] != nil { free(box.slots[i]); leftovers += 1 } }
        let after = AllocationCounters.read()
        var expectedAllocations: UInt64 = 0, expectedFrees: UInt64 = leftovers
        for t in 0..<threads {
            let r = results[t]
            XCTAssertEqual(r.measured?.allocations, r.allocations, "thread \(t) allocations")
            XCTAssertEqual(r.measured?.frees, r.frees, "thread \(t) frees")
            XCTAssertEqual(r.measured?.requestedBytes, r.requested, "thread \(t) requested bytes")
            expectedAllocations += r.allocations
            expectedFrees += r.frees
        }
        XCTAssertEqual(expectedAllocations, UInt64(threads * operations))
        // Process totals: all of the threads' work. Other threads of the test process add
        // some: thread start-up, and an idle libdispatch worker that exits meanwhile frees
        // its cache (up to 1,024 blocks). The upper bound only catches counting twice.
        XCTAssertGreaterThanOrEqual(after.allocations - before.allocations, expectedAllocations)
        XCTAssertLessThan(after.allocations - before.allocations, expectedAllocations + expectedAllocations / 10)
        XCTAssertGreaterThanOrEqual(after.frees - before.frees, expectedFrees)
        XCTAssertLessThan(after.frees - before.frees, expectedFrees + expectedFrees / 10)
    }
}
