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

        /// The child's heap profile, symbolized from the files of the modules it had mapped
        /// (nil when it recorded no samples).
        public func heapProfile(defaultSampleType: String = "") -> Profile? {
            guard let samples, !samples.buckets.isEmpty else { return nil }
            let symbolizer = Symbolizer(modules: ProcMaps.loadedModules(fromMaps: samples.modulesAsMaps))
            return HeapProfileBuilder(samples: samples, symbolizer: symbolizer).build(defaultSampleType: defaultSampleType)
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

    public init(arguments: [String], preloadLibrary: String, environment: [String: String] = [:]) {
        self.arguments = arguments
        self.preloadLibrary = preloadLibrary
        self.environment = environment
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
        let status = ChildSignals.wait(for: pid)
        let seconds = monotonicSeconds() - start
        let termination: Termination = (status & 0x7f) == 0
            ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        let (counters, samples) = shared.read()
        return Result(termination: termination, pid: pid, counters: counters, seconds: seconds, samples: samples)
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

/// The temporary file the child counts into.
private struct SharedStateFile {
    let path: String
    let size = memprof_shared_state_size()

    init() throws {
        var template = Array("/tmp/memprof-state-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
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

    /// The child's counters and samples; nil counters when no process claimed the file.
    func read() -> (AllocationCounters?, HeapSamples?) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (nil, nil) }
        defer { close(fd) }
        guard let m = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), m != MAP_FAILED else { return (nil, nil) }
        defer { munmap(m, size) }
        guard memprof_shared_state_owner(m) != 0 else { return (nil, nil) }
        var c = memprof_counters()
        guard memprof_read_shared_counters(m, size, &c) == 0 else { return (nil, nil) }
        return (AllocationCounters(c), HeapSamples.copy(state: UnsafeRawPointer(m), size: size))
    }

    func remove() { unlink(path) }
}

/// Signal plumbing while a child runs.
private enum ChildSignals {
    nonisolated(unsafe) static var child: pid_t = 0

    static func wait(for pid: pid_t) -> Int32 {
        child = pid
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
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }
}
#endif
