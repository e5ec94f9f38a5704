import Memprof
import NIOPosix

/// Runs slow, blocking work (building a profile, reading `/proc`, `malloc_trim`) on a thread
/// of memprof's own, so that neither an event loop nor Swift's cooperative threads stall on it.
///
/// One thread, not NIO's shared pool: glibc gives each thread that allocates an arena of its
/// own, and profile building spread over the pool's threads left freed memory behind in
/// several arenas (RSS crept under endless scraping). On one thread, one arena's free chunks
/// are reused by every later request. Profiles are built one at a time anyway.
enum BlockingWork {
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// Runs `body` on the thread, as the profiler's own work: counted, never sampled
    /// (`ProfilerWork`), so that serving profiles does not change the next profile.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive { try ProfilerWork.unsampled(body) }
    }
}
