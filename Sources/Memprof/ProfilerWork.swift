import CMemprofHook
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The profiler's own work (building, encoding and serving profiles, reading `/proc`) is
/// counted but never sampled: its allocations are in `MemStats` (`mallocs`, `totalAlloc`) and
/// in `ProfilerWork.allocations`, not in the sampled profile's stacks.
///
/// Were they sampled, an idle service scraped forever would never reach a steady profile: a
/// scrape's buffers follow the profile's length, each new length is a new (stack, size) in the
/// sampler's tables, which makes the next profile longer, and so on (issue 14: RSS crept by
/// ~7 MiB per 100 scrapes). Profiles show the total as the alloc-only pseudo-frame
/// `[memprof: own work]`.
public enum ProfilerWork {
    /// Allocations made by the profiler's own work since the process started (exact: from
    /// the hook's per-thread counters, not sampled).
    public struct Allocations: Sendable, Equatable {
        /// Blocks allocated.
        public var objects: UInt64
        /// Usable bytes of those blocks.
        public var bytes: UInt64
    }

    private static let objects = Atomic<UInt64>(0)
    private static let bytes = Atomic<UInt64>(0)

    /// The totals so far.
    public static var allocations: Allocations {
        Allocations(objects: objects.load(ordering: .relaxed), bytes: bytes.load(ordering: .relaxed))
    }

    /// Runs `body` with sampling paused on this thread and adds its allocations to
    /// `allocations`. Nests: only the outermost region pauses, resumes and counts.
    public static func unsampled<T>(_ body: () throws -> T) rethrows -> T {
        let depth = Depth.current
        Depth.current = depth + 1
        defer { Depth.current = depth }
        guard depth == 0 else { return try body() }
        var before = memprof_counters()
        memprof_read_thread_counters(&before)
        memprof_set_thread_sampling(0)
        defer {
            memprof_set_thread_sampling(1)
            var after = memprof_counters()
            memprof_read_thread_counters(&after)
            objects.add(after.allocations &- before.allocations, ordering: .relaxed)
            bytes.add(after.allocated_bytes &- before.allocated_bytes, ordering: .relaxed)
        }
        return try body()
    }

    /// The calling thread's nesting depth of `unsampled`.
    private enum Depth {
        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key, nil)
            return key
        }()

        static var current: Int {
            get { Int(bitPattern: pthread_getspecific(key)) }
            set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
        }
    }
}
