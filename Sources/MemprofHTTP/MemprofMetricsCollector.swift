import Memprof
import Prometheus
import Synchronization

/// Publishes this process's memory figures as Prometheus metrics, through swift-prometheus.
///
/// The server's `/metrics` route calls `exposition()`, which reads the figures and renders the
/// registry in the Prometheus text format. Pass the registry your application already uses
/// (for example the one behind `PrometheusMetricsFactory` bootstrapped into swift-metrics)
/// and `/metrics` shows your metrics and these together.
///
/// | metric | type | source |
/// | --- | --- | --- |
/// | `memprof_heap_live_bytes` | gauge | `MemStats.heapAlloc` |
/// | `memprof_heap_live_objects` | gauge | `MemStats.heapObjects` |
/// | `memprof_heap_peak_live_bytes` | gauge | `MemStats.peakAlloc` |
/// | `memprof_allocated_bytes_total` | counter | `MemStats.totalAlloc` |
/// | `memprof_requested_bytes_total` | counter | `MemStats.totalRequested` |
/// | `memprof_mallocs_total`, `memprof_frees_total` | counter | `MemStats.mallocs`, `.frees` |
/// | `memprof_failed_allocations_total` | counter | `MemStats.failedAllocations` |
/// | `memprof_heap_sys_bytes`, `_idle_bytes`, `_inuse_bytes`, `_released_bytes`, `_mmapped_bytes` | gauge | `MemStats.heapSys` ... |
/// | `memprof_heap_sampling_rate_bytes` | gauge | `HeapProfile.samplingRate` |
/// | `memprof_profiler_bytes{part=...}` | gauge | `ProfilerFootprint`: memprof's own memory (`symbol_tables` in the heap, `sampler_tables` and `counter_slots` in its mappings, `mapped_files` file-backed) |
/// | `memprof_type_live_bytes{type=...}`, `memprof_type_live_objects{type=...}` | gauge | `TypeCensus`: the top types by live bytes (at most 20 types ever, when the census is on) |
/// | `process_resident_memory_bytes` | gauge | `ProcessMemory.residentBytes` (VmRSS) |
/// | `process_virtual_memory_bytes` | gauge | `ProcessMemory.virtualBytes` (VmSize) |
/// | `memprof_process_resident_peak_bytes` | gauge | `ProcessMemory.peakResidentBytes` (VmHWM) |
/// | `memprof_process_resident_bytes{category=...}` | gauge | RSS by `ProcessMemory.Category` (smaps) |
///
/// Reading costs about as much as `MemStats.read()` plus `ProcessMemory.read()` (glibc's
/// `mallinfo2` walks the free chunks under the arena locks; smaps is read twice): fine for a
/// scrape every few seconds, not for a hot loop.
public final class MemprofMetricsCollector: Sendable {
    /// The registry the figures are recorded in.
    public let registry: PrometheusCollectorRegistry

    private struct Instruments: @unchecked Sendable {
        var gauges: [String: Gauge] = [:]
        var counters: [String: Counter] = [:]
        /// Last value added to each counter: counters mirror the hook's totals by adding the
        /// difference, so they never go back to zero on a concurrent scrape.
        var published: [String: UInt64] = [:]
    }

    private let instruments = Mutex(Instruments())
    private let typeRows = TypeCensusMetrics()

    /// Creates a collector recording into `registry` (a new one by default).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Reads the figures now and records them in `registry`.
    public func update() {
        let stats = MemStats.read()
        let process = try? ProcessMemory.read()
        instruments.withLock { instruments in
            func gauge(_ namespace: String, _ name: String, _ help: String, _ value: Int,
                       labels: [(String, String)] = []) {
                let key = namespace + name + labels.map { "\u{0}\($0.1)" }.joined()
                let instrument = instruments.gauges[key] ?? registry.makeGauge(
                    descriptor: MetricNameDescriptor(namespace: namespace, metricName: name, unitName: "", helpText: help),
                    labels: labels)
                instruments.gauges[key] = instrument
                instrument.set(Int64(value))
            }
            func counter(_ name: String, _ help: String, _ value: UInt64) {
                let instrument = instruments.counters[name] ?? registry.makeCounter(
                    descriptor: MetricNameDescriptor(namespace: "memprof", metricName: name, unitName: "total", helpText: help))
                instruments.counters[name] = instrument
                let last = instruments.published[name] ?? 0
                if value > last {
                    instrument.increment(by: Int64(clamping: value - last))
                    instruments.published[name] = value
                }
            }
            gauge("memprof", "heap_live_bytes", "Bytes in live malloc blocks (usable size).", Int(stats.heapAlloc))
            gauge("memprof", "heap_live_objects", "Live malloc blocks.", Int(stats.heapObjects))
            gauge("memprof", "heap_peak_live_bytes", "High-water mark of memprof_heap_live_bytes.", Int(stats.peakAlloc))
            counter("allocated_bytes", "Bytes handed out by malloc and friends (usable size).", stats.totalAlloc)
            counter("requested_bytes", "Bytes requested from malloc and friends.", stats.totalRequested)
            counter("mallocs", "Blocks handed out by malloc and friends.", stats.mallocs)
            counter("frees", "Blocks freed.", stats.frees)
            counter("failed_allocations", "Allocation calls that failed.", stats.failedAllocations)
            gauge("memprof", "heap_sys_bytes", "Bytes of heap obtained from the OS (arenas and mmapped blocks).", Int(stats.heapSys))
            gauge("memprof", "heap_idle_bytes", "Free bytes glibc keeps in its arenas.", Int(stats.heapIdle))
            gauge("memprof", "heap_inuse_bytes", "Bytes in chunks in use, with chunk overhead.", Int(stats.heapInuse))
            gauge("memprof", "heap_released_bytes", "Bytes of heap mappings not resident (returned to the OS).", Int(stats.heapReleased))
            gauge("memprof", "heap_mmapped_bytes", "Bytes of blocks malloc served with their own mmap.", Int(stats.mmappedBytes))
            gauge("memprof", "heap_sampling_rate_bytes", "Mean bytes between heap profile samples (0: off).",
                  Int(HeapProfile.samplingRate))
            let own = ProfilerFootprint.read()
            for (part, value) in [("symbol_tables", own.symbolTables), ("sampler_tables", own.samplerTables),
                                  ("counter_slots", own.counterSlots), ("mapped_files", own.mappedFiles),
                                  ("type_census_mapped", own.typeCensus)] {
                gauge("memprof", "profiler_bytes", "Memory memprof itself holds, by part.", Int(value),
                      labels: [("part", part)])
            }
            for row in typeRows.rows() {
                gauge("memprof", "type_live_bytes", "Bytes of live Swift objects of a type (type census, top types).",
                      Int(row.liveBytes), labels: [("type", row.name)])
                gauge("memprof", "type_live_objects", "Live Swift objects of a type (type census, top types).",
                      Int(row.liveObjects), labels: [("type", row.name)])
            }
            guard let process else { return }
            gauge("process", "resident_memory_bytes", "Resident memory size in bytes.", process.residentBytes)
            gauge("process", "virtual_memory_bytes", "Virtual memory size in bytes.", process.virtualBytes)
            gauge("memprof", "process_resident_peak_bytes", "Peak resident set size (VmHWM).", process.peakResidentBytes)
            for category in ProcessMemory.Category.allCases {
                gauge("memprof", "process_resident_bytes", "Resident bytes by kind of mapping (from smaps).",
                      process.breakdown.usage(of: category).residentBytes, labels: [("category", category.rawValue)])
            }
        }
    }

    /// Reads the figures and renders the whole registry in the Prometheus text format.
    public func exposition() -> [UInt8] {
        update()
        return registry.emitToBuffer()
    }
}
