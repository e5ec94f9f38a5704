import Memprof

/// The JSON document of `/debug/memstats`.
///
/// ```json
/// {
///   "memstats": {"alloc": 1234, "totalAlloc": ..., "sys": ..., "mallocs": ..., "frees": ...,
///                "heapAlloc": ..., "heapSys": ..., "heapIdle": ..., "heapInuse": ...,
///                "heapReleased": ..., "heapObjects": ..., "peakAlloc": ..., "totalRequested": ...,
///                "failedAllocations": ..., "mmappedBytes": ..., "profilerHeap": ...,
///                "buckHashSys": ...},
///   "profiler": {"symbolTables": ..., "samplerTables": ..., "samplerMapped": ...,
///                "counterSlots": ..., "mappedFiles": ...},
///   "samplingRate": 524288,
///   "process": {"pid": 42, "virtualBytes": ..., "residentBytes": ..., "rssAnon": ...,
///               "rssFile": ..., "rssShmem": ..., "peakVirtualBytes": ...,
///               "peakResidentBytes": ..., "swapBytes": ..., "threads": ...,
///               "breakdown": {"readMallocHeaders": true, "total": USAGE,
///                             "groups": [{"category": "malloc heap", "name": "[heap]",
///                                         "count": 1, "usage": USAGE, "code": USAGE,
///                                         "data": USAGE, "readOnly": USAGE}, ...]}},
///   "processError": "..."            // only when /proc could not be read ("process" is null)
/// }
/// ```
/// `memstats` holds every stored property of `MemStats` under its Swift name (the keys its
/// `Codable` conformance uses, so `JSONDecoder` reads it back); see `MemStats` for what each
/// means. `process` is `ProcessMemory` with the same names; a USAGE is
/// `{"virtualBytes", "residentBytes", "proportionalBytes", "privateDirtyBytes", "swapBytes",
/// "mappings"}` (see `ProcessMemory.Usage`); `category` is a `ProcessMemory.Category` raw
/// value. `profiler` is `ProfilerFootprint`: what memprof itself holds. All sizes are bytes. The per-mapping list is left out (it is long; `ProcessMemory`
/// gives it in process).
enum MemStatsDocument {
    static func render(stats: MemStats, samplingRate: Int64, process: Result<ProcessMemory, Error>) -> [UInt8] {
        var json = JSONWriter()
        json.object { json in
            json.object("memstats") { json in write(stats, into: &json) }
            json.field("samplingRate", samplingRate)
            let own = ProfilerFootprint.read()
            json.object("profiler") { json in
                json.field("symbolTables", own.symbolTables)
                json.field("samplerTables", own.samplerTables)
                json.field("samplerMapped", own.samplerMapped)
                json.field("counterSlots", own.counterSlots)
                json.field("mappedFiles", own.mappedFiles)
            }
            switch process {
            case .success(let memory):
                json.object("process") { json in write(memory, into: &json) }
            case .failure(let error):
                json.null("process")
                json.field("processError", "\(error)")
            }
        }
        var bytes = json.bytes
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    static func write(_ s: MemStats, into json: inout JSONWriter) {
        json.field("alloc", s.alloc)
        json.field("totalAlloc", s.totalAlloc)
        json.field("sys", s.sys)
        json.field("mallocs", s.mallocs)
        json.field("frees", s.frees)
        json.field("heapAlloc", s.heapAlloc)
        json.field("heapSys", s.heapSys)
        json.field("heapIdle", s.heapIdle)
        json.field("heapInuse", s.heapInuse)
        json.field("heapReleased", s.heapReleased)
        json.field("heapObjects", s.heapObjects)
        json.field("peakAlloc", s.peakAlloc)
        json.field("totalRequested", s.totalRequested)
        json.field("failedAllocations", s.failedAllocations)
        json.field("mmappedBytes", s.mmappedBytes)
        json.field("profilerHeap", s.profilerHeap)
        json.field("buckHashSys", s.buckHashSys)
    }

    static func write(_ m: ProcessMemory, into json: inout JSONWriter) {
        json.field("pid", m.pid)
        json.field("virtualBytes", m.virtualBytes)
        json.field("residentBytes", m.residentBytes)
        json.field("rssAnon", m.rssAnon)
        json.field("rssFile", m.rssFile)
        json.field("rssShmem", m.rssShmem)
        json.field("peakVirtualBytes", m.peakVirtualBytes)
        json.field("peakResidentBytes", m.peakResidentBytes)
        json.field("swapBytes", m.swapBytes)
        json.field("threads", m.threads)
        json.object("breakdown") { json in
            json.field("readMallocHeaders", m.breakdown.readMallocHeaders)
            json.object("total") { json in write(m.breakdown.total, into: &json) }
            json.array("groups") { json in
                for group in m.breakdown.groups {
                    json.object { json in
                        json.field("category", group.category.rawValue)
                        json.field("name", group.name)
                        json.field("count", group.count)
                        json.object("usage") { json in write(group.usage, into: &json) }
                        json.object("code") { json in write(group.code, into: &json) }
                        json.object("data") { json in write(group.data, into: &json) }
                        json.object("readOnly") { json in write(group.readOnly, into: &json) }
                    }
                }
            }
        }
    }

    static func write(_ u: ProcessMemory.Usage, into json: inout JSONWriter) {
        json.field("virtualBytes", u.virtualBytes)
        json.field("residentBytes", u.residentBytes)
        json.field("proportionalBytes", u.proportionalBytes)
        json.field("privateDirtyBytes", u.privateDirtyBytes)
        json.field("swapBytes", u.swapBytes)
        json.field("mappings", u.mappings)
    }
}
