#if canImport(Glibc)
import Glibc
import CMemprofHook
import MemprofProfile
import MemprofSymbolication

extension PreloadRun {
    /// When to write a heap profile while the program runs: the parent reads the samples
    /// from the shared state, so this works for any program, not only Swift ones.
    public struct Dumps: Sendable, Equatable {
        /// Write one profile when the program's live heap first exceeds this many bytes.
        public var thresholdBytes: UInt64?
        /// Write a profile each time this signal reaches the program or this process.
        public var signal: Int32?
        /// File name the profiles are numbered from: `heap.pb.gz` -> `heap.PID.N.pb.gz`.
        public var path: String

        public init(thresholdBytes: UInt64? = nil, signal: Int32? = nil, path: String = "memprof-heap.pb.gz") {
            self.thresholdBytes = thresholdBytes
            self.signal = signal
            self.path = path
        }
    }
}

/// Watches a running child's shared state for the moments to write a profile.
struct DumpWatcher {
    let dumps: PreloadRun.Dumps
    let pid: pid_t
    let state: UnsafeMutableRawPointer
    let size: Int
    var thresholdFired = false
    var requestsSeen: UInt64 = 0
    var parentSignalsSeen = 0
    var sequence = 0

    init(dumps: PreloadRun.Dumps, pid: pid_t, state: UnsafeMutableRawPointer, size: Int) {
        self.dumps = dumps
        self.pid = pid
        self.state = state
        self.size = size
    }

    /// Writes a profile if the threshold was crossed or the signal arrived since the last
    /// call; returns its path (or a message starting with "cannot").
    mutating func poll(signalsToParent: Int) -> String? {
        guard memprof_shared_state_owner(state) != 0 else { return nil }  // not started yet
        var reason: String?
        let requests = memprof_shared_dump_requests(state)
        if requests != requestsSeen || signalsToParent != parentSignalsSeen {
            requestsSeen = requests
            parentSignalsSeen = signalsToParent
            reason = "signal"
        }
        if !thresholdFired, let threshold = dumps.thresholdBytes {
            var c = memprof_counters()
            if memprof_read_shared_counters(state, size, &c) == 0, c.live_bytes >= threshold {
                thresholdFired = true
                reason = reason ?? "threshold"
            }
        }
        guard reason != nil else { return nil }
        sequence += 1
        let path = ProfileDumps.numberedPath(dumps.path, pid: pid, sequence: sequence)
        let samples = HeapSamples.copy(state: UnsafeRawPointer(state), size: size)
        var profile = HeapProfile.empty(rate: samples?.rate ?? 0)
        if let samples, !samples.buckets.isEmpty {
            let symbolizer = Symbolizer(modules: ProcMaps.loadedModules(fromMaps: samples.modulesAsMaps))
            profile = HeapProfileBuilder(samples: samples, symbolizer: symbolizer).build(defaultSampleType: "")
        }
        let bytes = profile.encoded(gzip: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "cannot write \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let ok = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress, raw.count) == raw.count }
        return ok ? path : "cannot write \(path): \(String(cString: strerror(errno)))"
    }
}
#endif
