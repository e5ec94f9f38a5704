#if canImport(Glibc)
import Glibc
#endif

extension Workloads {
    /// Times `pairs` malloc(24)+free pairs on each of `threads` threads; returns ns per pair
    /// (CPU time of each thread, which a busy machine disturbs far less than wall time,
    /// averaged over the threads). The benchmark runs it with and without the hook in one
    /// session and reports the difference.
    public static func mallocFreePairs(threads: Int, pairs: Int) -> Double {
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads)
        results.initialize(repeating: 0)
        defer { results.deallocate() }
        let workers = (0..<threads).map { t in
            startThread {
                // Warm up: take a slot, fault in the arena.
                for _ in 0..<10_000 { free(malloc(24)) }
                let start = threadCPUNanoseconds()
                for _ in 0..<pairs {
                    let p = malloc(24)
                    benchmarkSink = p  // escapes: the pair cannot be optimised away
                    free(p)
                }
                results[t] = Double(threadCPUNanoseconds() - start) / Double(pairs)
            }
        }
        for w in workers { pthread_join(w, nil) }
        return results.reduce(0, +) / Double(threads)
    }

    /// The allocation-heavy threaded benchmark: each of `threads` threads does `operations`
    /// malloc+free pairs of 16-4096 bytes, keeping a ring of 256 live blocks (so frees hit
    /// blocks allocated a while ago, as in a real program). Counts are exact.
    public static func threadedChurn(threads: Int, operations: Int) -> Expected {
        let requested = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads)
        requested.initialize(repeating: 0)
        defer { requested.deallocate() }
        let workers = (0..<threads).map { t in
            startThread {
                var ring = [UnsafeMutableRawPointer?](repeating: nil, count: 256)
                var state = UInt64(t + 1) &* 0x9E37_79B9_7F4A_7C15
                var req: UInt64 = 0
                ring.withUnsafeMutableBufferPointer { ring in
                    for i in 0..<operations {
                        state ^= state << 13
                        state ^= state >> 7
                        state ^= state << 17
                        let size = 16 + Int(state % 4081)
                        req += UInt64(size)
                        let p = malloc(size)!
                        p.storeBytes(of: UInt8(truncatingIfNeeded: i), as: UInt8.self)
                        let k = Int((state >> 20) & 255)
                        free(ring[k])
                        ring[k] = p
                    }
                    for k in 0..<256 { free(ring[k]); ring[k] = nil }
                }
                requested[t] = req
            }
        }
        for w in workers { pthread_join(w, nil) }
        var e = Expected()
        e.allocations = UInt64(threads * operations)
        e.frees = e.allocations
        e.requestedBytes = requested.reduce(0, +)
        return e
    }

    /// CPU time of the calling thread in nanoseconds.
    public static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Monotonic clock in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Where the benchmark's pointers escape to.
nonisolated(unsafe) public var benchmarkSink: UnsafeMutableRawPointer?
/// Blocks a workload keeps to the end of the program.
nonisolated(unsafe) public var keptForever: UnsafeMutableRawPointer?
