#if canImport(Glibc)
import CMemprofHook
import Glibc
import MemprofProfile
import MemprofSymbolication

/// The heap profile of a process running under the preload hook, read from its shared state
/// file (`MEMPROF_SHM`, as `memprof run` and `memprof live -- CMD` set it) while it runs: what
/// `memprof live` shows every second.
public final class SharedStateSnapshot {
    private let state: UnsafeMutableRawPointer
    private let size: Int
    /// Kept between reads while the child's modules stay the same: building one reads the
    /// modules' symbol tables.
    private var symbolizer: (modules: [String], symbolizer: Symbolizer)?

    /// Maps the state file at `path` read-only; nil if it cannot be.
    public init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = memprof_shared_state_size()
        guard let m = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), m != MAP_FAILED else { return nil }
        state = m
        self.size = size
    }

    deinit { munmap(state, size) }

    /// The sampled heap now, symbolized (nil when nothing was sampled yet, or sampling is off).
    public func profile() -> Profile? {
        guard let samples = HeapSamples.copy(state: UnsafeRawPointer(state), size: size), !samples.buckets.isEmpty else {
            return nil
        }
        let maps = samples.modulesAsMaps
        let key = maps.split(separator: "\n").map(String.init)
        if symbolizer?.modules != key {
            symbolizer = (key, Symbolizer(modules: ProcMaps.loadedModules(fromMaps: maps)))
        }
        return HeapProfileBuilder(samples: samples, symbolizer: symbolizer!.symbolizer).build(defaultSampleType: "inuse_space")
    }
}
#endif
