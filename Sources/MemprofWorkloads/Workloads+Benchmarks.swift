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
