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

    /// Makes the calling thread the profiler's own for good (the event loop of memprof's own
    /// HTTP server): sampling stays paused on it, and what it allocates is added to
    /// `allocations` at each `flushClaimedThread()` on it. A change of the rate
    /// (`HeapProfile.samplingRate`) restarts sampling on every thread but the paused ones.
    public static func claimThread() {
        guard Depth.current == 0, Claimed.baseline == nil else { return }
        let baseline = UnsafeMutablePointer<memprof_counters>.allocate(capacity: 1)
        baseline.initialize(to: memprof_counters())
        memprof_read_thread_counters(baseline)
        Claimed.baseline = baseline
        Depth.current = 1
        memprof_set_thread_sampling(0)
    }

    /// On a claimed thread, adds what it allocated since the last flush to `allocations`;
    /// elsewhere, nothing.
    public static func flushClaimedThread() {
        guard let baseline = Claimed.baseline else { return }
        var now = memprof_counters()
        memprof_read_thread_counters(&now)
        objects.add(now.allocations &- baseline.pointee.allocations, ordering: .relaxed)
        bytes.add(now.allocated_bytes &- baseline.pointee.allocated_bytes, ordering: .relaxed)
        baseline.pointee = now
    }

    /// The counters of a claimed thread at its last flush (nil: the thread is not claimed).
    private enum Claimed {
        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key, nil)
            return key
        }()

        static var baseline: UnsafeMutablePointer<memprof_counters>? {
            get { pthread_getspecific(key)?.assumingMemoryBound(to: memprof_counters.self) }
            set { pthread_setspecific(key, newValue.map { UnsafeRawPointer($0) }) }
        }
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
