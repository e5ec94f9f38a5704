#if canImport(Glibc)
import Glibc
import CMemprofHook
import MemprofProfile
import MemprofSymbolication

/// Runs a program under the preload library and reads its exact counters when it ends.
///
/// The counters live in a file shared with the child (`MEMPROF_SHM`): the child's hook
/// claims it at its first allocation and counts into it directly, so the totals are complete
/// however the child ends — `exit`, `_exit`, SIGINT, SIGTERM, even SIGKILL.
public struct PreloadRun {
    /// How the program ended.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        /// The exit status a shell would report: the code, or 128 + the signal number.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        }
    }

    /// What the run produced.
    public struct Result: Sendable {
        public var termination: Termination
        public var pid: Int32
        /// Nil when the program never reached the hook (a static binary, a setuid program,
        /// or one that exited before its first allocation).
        public var counters: AllocationCounters?
        public var seconds: Double
        /// Raw heap samples recorded by the child (empty when sampling was off).
        var samples: HeapSamples?
        /// The trace's exit line (MEMPROF_TRACE), written by the parent from the final counters.
        public var traceExitLine: String?
        /// The type census (`MEMPROF_TYPES=1` in `environment`), nil when the child had none.
        public var typeCensus: TypeCensus?
        /// Profiles written while the program ran (threshold and signal dumps), in order.
        public var dumps: [String] = []
        /// The symbolizer that resolved the child's addresses while it ran (see SymbolWarmer).
        var warmSymbolizer: Symbolizer?

        /// The child's heap profile, symbolized from the files of the modules it had mapped
        /// (nil when it recorded no samples).
        public func heapProfile(defaultSampleType: String = "") -> Profile? {
            guard let samples, !samples.buckets.isEmpty else { return nil }
            return HeapProfileBuilder(samples: samples, symbolizer: symbolizer(samples)).build(defaultSampleType: defaultSampleType)
        }

        /// The child's heap at its high-water mark (see `HeapProfile.writePeak(to:)`).
        public func peakHeapProfile() -> Profile? {
            guard let samples, !samples.buckets.isEmpty else { return nil }
            var builder = HeapProfileBuilder(samples: samples, symbolizer: symbolizer(samples))
            builder.peak = true
            return builder.build(defaultSampleType: "")
        }

        /// Exact live heap bytes at the peak copy (0 when the heap was never copied).
        public var peakCopiedLiveBytes: Int64 { samples?.peakLiveBytes ?? 0 }

        private func symbolizer(_ samples: HeapSamples) -> Symbolizer {
            warmSymbolizer ?? Symbolizer(modules: ProcMaps.loadedModules(fromMaps: samples.modulesAsMaps))
        }
    }

    /// Errors that prevent the run from starting.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public var arguments: [String]
    public var preloadLibrary: String
    /// Extra environment variables for the child (MEMPROF_RATE and the like).
    public var environment: [String: String]
    /// Profiles to write while the program runs (none by default).
    public var dumps: Dumps?
    /// Told of each profile written while the program runs (its path), or of a failure.
    public var onDump: (@Sendable (String) -> Void)?
    /// Resolves the child's sampled addresses on a thread of this process while the child
    /// runs, so that its profile is ready sooner after it exits (default true).
    public var symbolizesWhileRunning = true
    /// Whether that thread runs in the idle scheduling class (only on CPU the program leaves
    /// free). Tests turn it off: beside other busy processes an idle-class thread may get no
    /// CPU before a short program ends.
    var warmerIsIdleClass = true

    public init(arguments: [String], preloadLibrary: String, environment: [String: String] = [:],
                dumps: Dumps? = nil, onDump: (@Sendable (String) -> Void)? = nil) {
        self.arguments = arguments
        self.preloadLibrary = preloadLibrary
        self.environment = environment
        self.dumps = dumps
        self.onDump = onDump
    }

    /// Starts the program, waits for it, and returns its counters. SIGINT and SIGQUIT are
    /// ignored meanwhile (the terminal sends them to the child too); SIGTERM and SIGHUP sent
    /// to this process are passed on to the child.
    public func run() throws -> Result {
        guard let program = arguments.first, !program.isEmpty else {
            throw Failure(description: "no command given")
        }
        guard access(preloadLibrary, R_OK) == 0 else {
            throw Failure(description: "preload library not found at \(preloadLibrary)")
        }
        let shared = try SharedStateFile()
        defer { shared.remove() }
        let env = childEnvironment(sharedStatePath: shared.path)

        let start = monotonicSeconds()
        let pid = try spawn(program: program, arguments: arguments, environment: env)
        var warmer: SymbolWarmer?
        if symbolizesWhileRunning {
            let w = SymbolWarmer(statePath: shared.path, stateSize: shared.size, idleClass: warmerIsIdleClass)
            if w.start() { warmer = w }
        }
        var written: [String] = []
        let status: Int32
        if let dumps, let watch = shared.map() {
            var watcher = DumpWatcher(dumps: dumps, pid: pid, state: watch, size: shared.size)
            status = ChildSignals.wait(for: pid, signal: dumps.signal) { signalsToParent in
                if let path = watcher.poll(signalsToParent: signalsToParent) {
                    written.append(path)
                    onDump?(path)
                }
            }
            munmap(watch, shared.size)
        } else {
            status = ChildSignals.wait(for: pid, signal: nil, poll: nil)
        }
        let seconds = monotonicSeconds() - start
        let termination: Termination = (status & 0x7f) == 0
            ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        let (counters, samples, traceLine) = shared.read(pid: pid)
        var result = Result(termination: termination, pid: pid, counters: counters, seconds: seconds, samples: samples)
        result.warmSymbolizer = warmer?.finish(modulesAsMaps: samples?.modulesAsMaps)
        result.typeCensus = shared.readTypeCensus()
        result.traceExitLine = traceLine
        result.dumps = written
        return result
    }

    /// The program's environment in its original order, with only our variables added or
    /// changed: LD_PRELOAD (ours first), MEMPROF_SHM, then `environment` sorted by name.
    func childEnvironment(sharedStatePath: String) -> [String] {
        var entries = currentEnvironmentEntries()
        func set(_ name: String, _ value: (String?) -> String) {
            if let i = entries.firstIndex(where: { $0.name == name }) {
                entries[i].value = value(entries[i].value)
            } else {
                entries.append((name, value(nil)))
            }
        }
        set("LD_PRELOAD") { old in old.map { $0.isEmpty ? preloadLibrary : preloadLibrary + " " + $0 } ?? preloadLibrary }
        set("MEMPROF_SHM") { _ in sharedStatePath }
        if let dumps {
            // The parent writes these profiles: the child must not write them too (a program
            // that links Memprof would read the same variables).
            entries.removeAll { $0.name == "MEMPROF_PROFILE_THRESHOLD" || $0.name == "MEMPROF_PROFILE_SIGNAL" }
            if let signal = dumps.signal { set("MEMPROF_RUN_SIGNAL") { _ in String(signal) } }
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) { set(name) { _ in value } }
        return entries.map { "\($0.name)=\($0.value)" }
    }

    private func spawn(program: String, arguments: [String], environment: [String]) throws -> pid_t {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, nil, nil, &argv, &envp)
        guard rc == 0 else {
            throw Failure(description: "cannot run '\(program)': \(String(cString: strerror(rc)))")
        }
        return pid
    }
}

/// This process's environment as (name, value) pairs, in its order.
private func currentEnvironmentEntries() -> [(name: String, value: String)] {
    var entries: [(name: String, value: String)] = []
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") {
            entries.append((String(s[..<eq]), String(s[s.index(after: eq)...])))
        }
        p += 1
    }
    return entries
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

extension PreloadRun {
    /// Where the file shared with the child goes: /dev/shm when it has room for the whole
    /// file (a tmpfs page is had at its first touch, and nothing is written back to a disk
    /// while the child runs; in /tmp on ext4 every first touch read ahead, and dirty pages
    /// went to disk), else /tmp (a small /dev/shm, 64 MiB in a default container, would
    /// raise SIGBUS in the child once full).
    public static var sharedStateDirectory: String {
        var fs = statvfs()
        guard statvfs("/dev/shm", &fs) == 0, access("/dev/shm", W_OK) == 0,
              UInt64(fs.f_bavail) * UInt64(fs.f_frsize) >= UInt64(memprof_shared_state_size()) else { return "/tmp" }
        return "/dev/shm"
    }
}

/// The temporary file the child counts into.
private struct SharedStateFile {
    let path: String
    let size = memprof_shared_state_size()

    init() throws {
        var template = Array("\(PreloadRun.sharedStateDirectory)/memprof-state-XXXXXX".utf8CString)
        var fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 {
            template = Array("/tmp/memprof-state-XXXXXX".utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        }
        guard fd >= 0 else {
            throw PreloadRun.Failure(description: "cannot create the shared state file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        path = String(cString: template)
        // Sparse: only the pages the child writes take disk or memory.
        guard ftruncate(fd, off_t(size)) == 0,
              let m = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), m != MAP_FAILED else {
            unlink(path)
            throw PreloadRun.Failure(description: "cannot map the shared state file \(path)")
        }
        memprof_init_shared_state(m)
        munmap(m, size)
    }

    /// A read-only mapping of the file (unmap it with `size`), nil if it cannot be had.
    func map() -> UnsafeMutableRawPointer? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let m = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), m != MAP_FAILED else { return nil }
        return m
    }

    /// The child's counters, samples and trace exit line; nil counters when no process
    /// claimed the file.
    func read(pid: pid_t) -> (AllocationCounters?, HeapSamples?, String?) {
        guard let m = map() else { return (nil, nil, nil) }
        defer { munmap(m, size) }
        guard memprof_shared_state_owner(m) != 0 else { return (nil, nil, nil) }
        var c = memprof_counters()
        guard memprof_read_shared_counters(m, size, &c) == 0 else { return (nil, nil, nil) }
        var line = [CChar](repeating: 0, count: 512)
        let n = memprof_trace_exit_line(m, size, pid, &line, line.count)
        let trace = n > 0 ? String(decoding: line.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
        return (AllocationCounters(c), HeapSamples.copy(state: UnsafeRawPointer(m), size: size), trace)
    }

    /// The child's type census, with the names it wrote at exit.
    func readTypeCensus() -> TypeCensus? {
        guard let m = map() else { return nil }
        defer { munmap(m, size) }
        return TypeCensus(state: UnsafeRawPointer(m), size: size)
    }

    func remove() { unlink(path) }
}

/// Signal plumbing while a child runs.
private enum ChildSignals {
    nonisolated(unsafe) static var child: pid_t = 0

    /// Times `signal` reached this process while the child ran (it asks for a profile too).
    nonisolated(unsafe) static var dumpSignals: Int = 0

    /// Waits for the child. With `poll`, wakes every 5 ms to call it with the number of times
    /// `signal` reached this process so far.
    static func wait(for pid: pid_t, signal dumpSignal: Int32?, poll: ((Int) -> Void)?) -> Int32 {
        child = pid
        dumpSignals = 0
        var oldDump: sighandler_t?
        if let dumpSignal, poll != nil {
            let count: @convention(c) (Int32) -> Void = { _ in ChildSignals.dumpSignals += 1 }
            oldDump = signal(dumpSignal, count)
        }
        defer { if let dumpSignal, let oldDump { signal(dumpSignal, oldDump) } }
        let forward: @convention(c) (Int32) -> Void = { sig in
            if ChildSignals.child > 0 { kill(ChildSignals.child, sig) }
        }
        let oldInt = signal(SIGINT, SIG_IGN)
        let oldQuit = signal(SIGQUIT, SIG_IGN)
        let oldTerm = signal(SIGTERM, forward)
        let oldHup = signal(SIGHUP, forward)
        defer {
            signal(SIGINT, oldInt)
            signal(SIGQUIT, oldQuit)
            signal(SIGTERM, oldTerm)
            signal(SIGHUP, oldHup)
            child = 0
        }
        var status: Int32 = 0
        guard let poll else {
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return status
        }
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { return status }
            poll(dumpSignals)
            usleep(5_000)
        }
    }
}
#endif
