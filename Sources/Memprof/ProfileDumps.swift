import CMemprofHook
#if canImport(Glibc)
import Glibc
#endif

/// Heap profiles written without a code change, configured by environment variables read
/// at start-up (see the README):
///
/// - `MEMPROF_PROFILE=heap.pb.gz`: a profile at exit;
/// - `MEMPROF_PROFILE_SIGNAL=USR2`: a profile each time the signal arrives;
/// - `MEMPROF_PROFILE_THRESHOLD=2GB`: one profile when live heap bytes first exceed the
///   threshold — the dump wanted just before the OOM killer comes.
///
/// File names carry the pid and a sequence number: `heap.pb.gz` becomes
/// `heap.4242.1.pb.gz`, `heap.4242.2.pb.gz`, ... Signal and threshold dumps go to
/// `MEMPROF_PROFILE`'s name, or `memprof-heap.pb.gz` in the working directory.
public enum ProfileDumps {
    /// The configuration read from the environment.
    public struct Configuration: Equatable, Sendable {
        public var path: String?
        public var signal: Int32?
        public var thresholdBytes: UInt64?
        /// MEMPROF_PEAK_PROFILE: where to write the heap at its peak when the program exits.
        public var peakPath: String?

        /// Parses the variables; an unreadable value is reported on stderr and ignored.
        public init(environment: [String: String]) {
            path = environment["MEMPROF_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
            peakPath = environment["MEMPROF_PEAK_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
            if let name = environment["MEMPROF_PROFILE_SIGNAL"], !name.isEmpty {
                signal = Self.signalNumber(name)
                if signal == nil { warn("MEMPROF_PROFILE_SIGNAL=\(name) is not a signal name or number") }
            }
            if let text = environment["MEMPROF_PROFILE_THRESHOLD"], !text.isEmpty {
                thresholdBytes = Self.byteCount(text)
                if thresholdBytes == nil { warn("MEMPROF_PROFILE_THRESHOLD=\(text) is not a size such as 2GB or 512MiB") }
            }
        }

        /// The signal number of "USR2", "SIGUSR2" or "12".
        public static func signalNumber(_ name: String) -> Int32? {
            if let n = Int32(name), n > 0, n < 65 { return n }
            let bare = name.uppercased().hasPrefix("SIG") ? String(name.uppercased().dropFirst(3)) : name.uppercased()
            let known: [String: Int32] = ["USR1": SIGUSR1, "USR2": SIGUSR2, "HUP": SIGHUP, "PROF": SIGPROF,
                                          "URG": SIGURG, "WINCH": SIGWINCH, "TTIN": SIGTTIN, "TTOU": SIGTTOU]
            return known[bare]
        }

        /// Bytes of "2GB" (10^9), "512MiB" (2^20), "1500000", "1.5G".
        public static func byteCount(_ text: String) -> UInt64? {
            let t = String(text.filter { $0 != " " }).uppercased()
            let digits = t.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(digits), value > 0 else { return nil }
            let units: [String: Double] = ["": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9,
                                           "T": 1e12, "TB": 1e12, "KIB": 1024, "MIB": 1_048_576, "GIB": 1_073_741_824,
                                           "TIB": 1_099_511_627_776]
            let suffix = String(t.dropFirst(digits.count))
            guard let unit = units[suffix] else { return nil }
            return UInt64(value * unit)
        }
    }

    nonisolated(unsafe) private static var base = "memprof-heap.pb.gz"
    /// Set in a forked child: it may have been forked while a dump held the lock, and its
    /// profile would be its parent's; it writes none.
    nonisolated(unsafe) private static var forkedChild = false
    nonisolated(unsafe) private static var sequence = 0
    private static let lock = PthreadLock()

    /// Applies a configuration: registers the exit dump, the signal and the threshold.
    public static func start(_ configuration: Configuration) {
        if let path = configuration.path { base = path }
        pthread_atfork(nil, nil) { ProfileDumps.forkedChild = true }
        if configuration.path != nil {
            atexit { ProfileDumps.dump(reason: "exit") }
        }
        if let peak = configuration.peakPath {
            peakPath = peak
            atexit { ProfileDumps.dumpPeak() }
        }
        guard configuration.signal != nil || configuration.thresholdBytes != nil else { return }
        if let signal = configuration.signal, memprof_install_profile_signal(signal) != 0 {
            warn("cannot install a handler for signal \(signal): \(String(cString: strerror(errno)))")
        }
        if let bytes = configuration.thresholdBytes { memprof_set_live_threshold(bytes) }
        startDetachedThread {
            while true {
                let events = memprof_wait_event()
                if events & MEMPROF_EVENT_THRESHOLD != 0 { ProfileDumps.dump(reason: "threshold") }
                if events & MEMPROF_EVENT_SIGNAL != 0 { ProfileDumps.dump(reason: "signal") }
            }
        }
    }

    nonisolated(unsafe) private static var peakPath: String?

    /// Writes the peak profile to MEMPROF_PEAK_PROFILE's file, numbered like the others.
    static func dumpPeak() {
        guard !forkedChild, let base = peakPath else { return }
        lock.withLock {
            do {
                try HeapProfile.writePeak(to: numberedPath(base, pid: getpid(), sequence: 1))
            } catch {
                warn("cannot write the peak heap profile: \(error)")
            }
        }
    }

    /// Writes one profile now to the next numbered file; returns its path (nil on failure,
    /// which is reported on stderr).
    @discardableResult
    public static func dump(reason: String) -> String? {
        if forkedChild { return nil }
        return lock.withLock {
            sequence += 1
            let path = numberedPath(base, pid: getpid(), sequence: sequence)
            do {
                try HeapProfile.write(to: path)
                return path
            } catch {
                warn("cannot write the \(reason) heap profile: \(error)")
                return nil
            }
        }
    }

    /// `heap.pb.gz` -> `heap.PID.SEQ.pb.gz`; a name without that extension gets `.PID.SEQ`.
    static func numberedPath(_ base: String, pid: Int32, sequence: Int) -> String {
        for ext in [".pb.gz", ".pb", ".gz"] where base.hasSuffix(ext) && base.count > ext.count {
            return String(base.dropLast(ext.count)) + ".\(pid).\(sequence)" + ext
        }
        return base + ".\(pid).\(sequence)"
    }
}

func warn(_ message: String) {
    let line = "memprof: \(message)\n"
    _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
}

/// A pthread mutex usable from any thread, including before main.
final class PthreadLock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// Starts a detached pthread with all signals blocked (signals belong to the program).
func startDetachedThread(_ body: @escaping () -> Void) {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var all = sigset_t(), old = sigset_t()
    sigfillset(&all)
    pthread_sigmask(SIG_SETMASK, &all, &old)
    var thread = pthread_t()
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let rc = pthread_create(&thread, &attributes, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box)
    if rc != 0 { Unmanaged<ThreadBody>.fromOpaque(box).release() }
    pthread_sigmask(SIG_SETMASK, &old, nil)
    pthread_attr_destroy(&attributes)
}
