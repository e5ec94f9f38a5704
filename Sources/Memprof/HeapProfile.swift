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

    /// The sample types of a heap profile, in Go's order.
    public static let sampleTypes = [
        ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
        ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes"),
    ]

    /// Builds a symbolized profile of this process's sampled allocations.
    ///
    /// - Parameters:
    ///   - defaultSampleType: the type tools show first: "" (they then pick the last,
    ///     inuse_space, as for Go's /debug/pprof/heap) or "alloc_space" (as /debug/pprof/allocs).
    ///   - symbolizer: the one to use; nil: the process's shared one (`ProfilerSymbols`),
    ///     whose kept memory the profile shows as the pseudo-frame `[memprof: symbol tables]`.
    ///   - symbolize: false: addresses, mappings and build IDs only (no symbol table is read;
    ///     the cheapest profile), to be named elsewhere with `memprof symbolize`.
    public static func snapshot(defaultSampleType: String = "", symbolizer: Symbolizer? = nil,
                                symbolize: Bool = true) throws -> Profile {
        // The profiler's own allocations are counted but never sampled.
        memprof_set_thread_sampling(0)
        defer { memprof_set_thread_sampling(1) }
        return try unsampledSnapshot(defaultSampleType: defaultSampleType, symbolizer: symbolizer, symbolize: symbolize)
    }

    private static func unsampledSnapshot(defaultSampleType: String, symbolizer: Symbolizer?,
                                          symbolize: Bool = true) throws -> Profile {
        guard let samples = HeapSamples.copy() else { throw HeapProfileError("cannot read the sampler's tables") }
        let symbols = try symbolizer ?? ProfilerSymbols.shared()
        if !symbolize { try? symbols.reloadModules() }
        var builder = HeapProfileBuilder(samples: samples, symbolizer: symbols)
        builder.showsOwnMemory = true
        builder.symbolize = symbolize
        return builder.build(defaultSampleType: defaultSampleType)
    }

    /// The profile as gzipped profile.proto bytes.
    public static func encoded(defaultSampleType: String = "") throws -> [UInt8] {
        memprof_set_thread_sampling(0)
        defer { memprof_set_thread_sampling(1) }
        return try unsampledSnapshot(defaultSampleType: defaultSampleType, symbolizer: nil).encoded(gzip: true)
    }

    /// Writes a gzipped profile to `path` atomically: readers see the old file or the whole
    /// new one, never a torn file (written beside it, then renamed).
    public static func write(to path: String, defaultSampleType: String = "") throws {
        try writeAtomically(try encoded(defaultSampleType: defaultSampleType), to: path)
    }

    /// Go's legacy text format (`/debug/pprof/heap?debug=1`), with a MemStats block at the end.
    public static func legacyText() throws -> String {
        memprof_set_thread_sampling(0)
        defer { memprof_set_thread_sampling(1) }
        let profile = try unsampledSnapshot(defaultSampleType: "", symbolizer: nil)
        return try profile.legacyHeapText(trailer: MemStats.read().goStyleTrailer)
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
        Profile(sampleTypes: sampleTypes, periodType: ValueType(type: "space", unit: "bytes"), period: rate)
    }
}
