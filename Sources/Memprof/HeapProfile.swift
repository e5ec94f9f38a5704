import CMemprofHook
import MemprofProfile
import MemprofSymbolication
#if canImport(Glibc)
import Glibc
#endif

/// The sampling heap profiler: which code allocated the most (alloc) and which holds memory
/// now (inuse), as a pprof profile that `go tool pprof`, Pyroscope and Parca read unchanged.
///
/// Allocations are sampled as Go samples them: each thread counts down an exponentially
/// distributed number of bytes with mean `samplingRate`, and the allocation that crosses
/// zero is recorded with its stack. A sampled block is tracked until it is freed, so it
/// leaves `inuse` at once (no "as of the last GC" delay as in Go).
///
/// ```swift
/// let profile = try HeapProfile.snapshot()
/// try HeapProfile.write(to: "heap.pb.gz")     // go tool pprof -top heap.pb.gz
/// ```
public enum HeapProfile {
    /// Bytes between samples on average (Go's `MemProfileRate`): 0 turns sampling off (the
    /// exact counters stay on), 1 records every allocation. Default 524288, or `MEMPROF_RATE`.
    /// Set it early: each thread takes a new rate at its next allocation, and blocks already
    /// sampled are weighted with the rate in force when the profile is built.
    public static var samplingRate: Int64 {
        get { memprof_sample_rate() }
        set { memprof_set_sample_rate(newValue) }
    }

    /// The sample types of a heap profile: Go's four, in Go's order, then the temporaries
    /// (blocks freed before their thread allocated anything else). Profiles name their
    /// default type (`inuse_space`, or `alloc_space` for /allocs), so tools that pick the
    /// last type when none is named still open them as Go's.
    public static let sampleTypes = [
        ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
        ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes"),
        ValueType(type: "temporary_objects", unit: "count"), ValueType(type: "temporary_space", unit: "bytes"),
    ]

    /// Values of the `lifetime` label: how long freed sampled blocks lived, by powers of ten
    /// (as the hook's classes), `live` for blocks not freed, `unknown` for blocks whose free
    /// was not seen (the address was handed out again first). At rates below 64 KiB a site's
    /// blocks after its first 64 are timed one in 16 (two clock readings a block were more than
    /// a third of rate 1's cost): the others are counted in the classes their site's timed
    /// blocks fell in, so the classes are estimates there, and their sum exact (`unknown`
    /// while none of the site's timed blocks was freed yet).
    public static let lifetimeClasses = ["<1us", "1us-10us", "10us-100us", "100us-1ms", "1ms-10ms", "10ms-100ms",
                                         "100ms-1s", "1s-10s", "10s-100s", ">=100s"]

    /// Builds a symbolized profile of this process's sampled allocations.
    ///
    /// - Parameters:
    ///   - defaultSampleType: the type tools show first: "" (they then pick the last,
    ///     inuse_space, as for Go's /debug/pprof/heap) or "alloc_space" (as /debug/pprof/allocs).
    ///   - symbolizer: the one to use; nil: the process's shared one (`ProfilerSymbols`),
    ///     whose kept memory the profile shows as the pseudo-frame `[memprof: symbol tables]`.
    ///   - symbolize: false: addresses, mappings and build IDs only (no symbol table is read;
    ///     the cheapest profile), to be named elsewhere with `memprof symbolize`.
    ///   - peak: true: the heap at its high-water mark (see `writePeak(to:)`).
    public static func snapshot(defaultSampleType: String = "", symbolizer: Symbolizer? = nil,
                                symbolize: Bool = true, peak: Bool = false) throws -> Profile {
        // The profiler's own allocations are counted but never sampled.
        try ProfilerWork.unsampled {
            try unsampledSnapshot(defaultSampleType: defaultSampleType, symbolizer: symbolizer, symbolize: symbolize,
                                  peak: peak)
        }
    }

    private static func unsampledSnapshot(defaultSampleType: String, symbolizer: Symbolizer?,
                                          symbolize: Bool = true, peak: Bool = false) throws -> Profile {
        guard let samples = HeapSamples.copy() else { throw HeapProfileError("cannot read the sampler's tables") }
        let symbols = try symbolizer ?? ProfilerSymbols.shared()
        if !symbolize { try? symbols.reloadModules() }
        var builder = HeapProfileBuilder(samples: samples, symbolizer: symbols)
        builder.showsOwnMemory = !peak
        builder.symbolize = symbolize
        builder.peak = peak
        return builder.build(defaultSampleType: defaultSampleType)
    }

    /// Writes the heap at its high-water mark to `path` (gzipped, atomically): what was live
    /// when the exact live bytes were at their largest, the figure that decides a container's
    /// memory limit. The sampled live set is copied each time live bytes exceed the last copy
    /// by 2%, so the profile is within 2% of the true peak (plus 64 KiB per thread allocating
    /// at that moment), and within the sampling error at rates above 1. `inuse_*` are the
    /// heap at the peak; `alloc_*` and `temporary_*` the totals until now.
    public static func writePeak(to path: String) throws {
        try ProfilerWork.unsampled {
            let profile = try unsampledSnapshot(defaultSampleType: "", symbolizer: nil, peak: true)
            try writeAtomically(profile.encoded(gzip: true), to: path)
        }
    }

    /// The profile as gzipped profile.proto bytes.
    public static func encoded(defaultSampleType: String = "") throws -> [UInt8] {
        try ProfilerWork.unsampled {
            try unsampledSnapshot(defaultSampleType: defaultSampleType, symbolizer: nil).encoded(gzip: true)
        }
    }

    /// Writes a gzipped profile to `path` atomically: readers see the old file or the whole
    /// new one, never a torn file (written beside it, then renamed).
    public static func write(to path: String, defaultSampleType: String = "") throws {
        try writeAtomically(try encoded(defaultSampleType: defaultSampleType), to: path)
    }

    /// Go's legacy text format (`/debug/pprof/heap?debug=1`), with a MemStats block at the end.
    public static func legacyText() throws -> String {
        try ProfilerWork.unsampled {
            let profile = try unsampledSnapshot(defaultSampleType: "", symbolizer: nil)
            return try profile.legacyHeapText(trailer: MemStats.read().goStyleTrailer)
        }
    }
}

/// An error of the heap profiler, with a message for people.
public struct HeapProfileError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes bytes to a temporary file beside `path`, flushes it and renames it over `path`.
func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw HeapProfileError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
    var written = 0
    var failure: Int32 = 0
    bytes.withUnsafeBytes { raw in
        while written < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            written += n
        }
    }
    if failure == 0 && fsync(fd) != 0 { failure = errno }
    close(fd)
    guard failure == 0, rename(temporary, path) == 0 else {
        let code = failure != 0 ? failure : errno
        unlink(temporary)
        throw HeapProfileError("cannot write \(path): \(String(cString: strerror(code)))")
    }
}

extension HeapProfile {
    /// A heap profile with Go's sample types and no samples (a program that sampled nothing).
    public static func empty(rate: Int64) -> Profile {
        Profile(sampleTypes: sampleTypes, periodType: ValueType(type: "space", unit: "bytes"), period: rate,
                defaultSampleType: "inuse_space")
    }
}
