#if canImport(Glibc)
import Glibc
import CMemprofHook
import MemprofProfile
import MemprofSymbolication

/// Symbolizes a running child's sampled stacks while it runs, on a thread of the parent, so
/// that the profile written when it exits has only the newest addresses left to resolve.
///
/// Without it `memprof run -o` spent 100–300 ms after the child's exit reading symbol
/// tables and DWARF (most of it inflating the compressed debug sections of glibc's
/// separate debug file). The warmer takes the samples 20 ms after the start, then at
/// doubling intervals (40, 80, 160 ms, ...): a few passes for any run, each one resolving
/// only addresses not seen before, and the last one covers at least the first half of the
/// run. Its symbolizer keeps what it read (the parent is a short-lived tool, not the
/// service being measured) and is handed to the profile builder at exit when the child's
/// module list is still the one it was made for.
final class SymbolWarmer: @unchecked Sendable {
    private let statePath: String
    private let stateSize: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var stopping = false
    /// Set by the thread when it has stopped (under `mutex`, `wake` broadcast).
    private var finished = false
    private var thread: pthread_t?
    private var symbolizer: Symbolizer?
    private var modulesKey = ""
    private var resolved = Set<UInt64>()
    /// The thread takes only what the child leaves of the machine, so a child that keeps every
    /// core busy is not slowed by its own profiler (the rest then waits for the exit).
    private let idleClass: Bool

    init(statePath: String, stateSize: Int, idleClass: Bool = true) {
        self.statePath = statePath
        self.stateSize = stateSize
        self.idleClass = idleClass
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(wake, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    /// Starts the thread; false if it could not be created (the run goes on without it).
    func start() -> Bool {
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { raw in
            let warmer = Unmanaged<SymbolWarmer>.fromOpaque(raw!).takeRetainedValue()
            if warmer.idleClass {
                var idle = sched_param()
                _ = pthread_setschedparam(pthread_self(), 5 /* SCHED_IDLE, not exported to Swift */, &idle)
            }
            warmer.loop()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            return false
        }
        thread = t
        return true
    }

    /// Stops the thread (after the pass it is in, if any) and returns its symbolizer, when it
    /// was made for exactly these modules; nil when the pass made no progress (see below).
    ///
    /// The child has ended, so the thread's pass goes back to normal priority where that is
    /// permitted (root, or CAP_SYS_NICE: leaving SCHED_IDLE is a raise). Otherwise, on a
    /// machine whose cores are all busy, an idle-class thread gets no CPU at all: `memprof
    /// run -o` beside two busy loops on 2 cores waited 15 s after a 0.4 s program for it. So
    /// the wait goes on only while the pass runs: a pass that got less than a fifth of a core
    /// over the last 50 ms is left behind (it ends with the process), and the profile is
    /// symbolized at normal priority by the caller.
    func finish(modulesAsMaps: String?) -> Symbolizer? {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
        guard let thread else { return nil }
        var normal = sched_param()
        _ = pthread_setschedparam(thread, 0 /* SCHED_OTHER */, &normal)
        var clock = clockid_t()
        let measurable = pthread_getcpuclockid(thread, &clock) == 0
        var cpuBefore = measurable ? Self.now(clock) : 0
        pthread_mutex_lock(mutex)
        while !finished {
            let deadline = Self.now() + Self.progressWindow
            var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
            while !finished, pthread_cond_timedwait(wake, mutex, &until) != ETIMEDOUT {}
            if finished || !measurable { continue }
            let cpuNow = Self.now(clock)
            if cpuNow - cpuBefore < Self.progressWindow / 5 { break }  // starved: leave it
            cpuBefore = cpuNow
        }
        let done = finished
        pthread_mutex_unlock(mutex)
        self.thread = nil
        guard done else {
            pthread_detach(thread)
            return nil
        }
        pthread_join(thread, nil)
        guard let modulesAsMaps, modulesAsMaps == modulesKey else { return nil }
        return symbolizer
    }

    /// How long a pass may go without a fifth of a core before it is left behind.
    private static let progressWindow: Int64 = 50_000_000  // ns

    private func loop() {
        var interval: Int64 = 20_000_000  // ns
        var deadline = Self.now() + interval
        while waitUntil(deadline) {
            pass()
            interval *= 2
            deadline = Self.now() + interval
        }
        pthread_mutex_lock(mutex)
        finished = true
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps until `deadline` (CLOCK_MONOTONIC ns); false when asked to stop.
    private func waitUntil(_ deadline: Int64) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while !stopping {
            if pthread_cond_timedwait(wake, mutex, &until) == ETIMEDOUT { break }
        }
        return !stopping
    }

    /// Resolves the return addresses of the samples so far that no pass resolved yet, as the
    /// profile builder asks for them (as calls: address - 1). Building whole profiles instead
    /// cost more than it saved on a program whose every sample is a bucket of its own.
    private func pass() {
        let fd = open(statePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        guard let m = mmap(nil, stateSize, PROT_READ, MAP_SHARED, fd, 0), m != MAP_FAILED else {
            close(fd)
            return
        }
        close(fd)
        defer { munmap(m, stateSize) }
        guard memprof_shared_state_owner(m) != 0,
              let samples = HeapSamples.copy(state: UnsafeRawPointer(m), size: stateSize),
              !samples.buckets.isEmpty else { return }
        let key = samples.modulesAsMaps
        if symbolizer == nil || key != modulesKey {
            let fresh = Symbolizer(modules: ProcMaps.loadedModules(fromMaps: key))
            fresh.cacheLimit = 256 << 20
            fresh.keepsCostlyModules = true
            symbolizer = fresh
            modulesKey = key
            resolved.removeAll()
        }
        var calls: [UInt64] = []
        for bucket in samples.buckets {
            for pc in bucket.stack where resolved.insert(pc &- 1).inserted { calls.append(pc &- 1) }
        }
        if !calls.isEmpty { _ = symbolizer!.symbolize(calls) }
    }

    private static func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
#endif
