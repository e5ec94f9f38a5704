import Glibc

extension Profile {
    /// Reads the legacy heap text of Go's `/debug/pprof/heap?debug=1` (ours writes the same,
    /// see `legacyHeapText`), as `go tool pprof` reads it:
    ///
    /// - the header (`heap profile: 2: 512 [12: 900137472] @ heap/1048576`) gives the period:
    ///   half the number after `heap/` (Go writes twice its sampling rate), the number itself
    ///   after `heap_v2/`, 1 for `heapprofile`; `growthz` and `fragmentationz` headers are read
    ///   too;
    /// - with allocation columns that differ from the in-use ones, the sample types are
    ///   `alloc_objects`, `alloc_space`, `inuse_objects`, `inuse_space`, else `objects` and
    ///   `space`;
    /// - each record `inuse: bytes [allocs: bytes] @ 0x... 0x...` is one sample, its counts
    ///   scaled by 1/(1-e^(-size/rate)) for `heap` and `heap_v2`, a `bytes` label with the block
    ///   size (bytes over count, when not 0), and one location per address, at the address
    ///   minus one (the call, not the return address).
    ///
    /// pprof also gives such profiles its list of allocator frames to drop (`runtime\..*`
    /// among them), which changes nothing for it: it has no names. This profile has none: Go's
    /// writer already left out the leading `runtime.` frames' names, and without a name for
    /// `runtime.goexit` at the root, pprof's rule would cut whole stacks down to that frame.
    ///
    /// With `symbols` (the default), the `#` lines under each record name the locations:
    /// `#	0x443387	runtime.malg+0x27	runtime/proc.go:4076` gives location 0x443387 the
    /// function `runtime.malg` at that file and line; several lines with one address are
    /// inlined frames, innermost first. `go tool pprof` ignores these lines and shows
    /// `<unknown>` for every location (it finds no mapping to symbolize from); without
    /// `symbols` the profile is the one it reads. Memory maps after the records
    /// (`--- Memory map: ---`, `MAPPED_LIBRARIES:`) are not read.
    public static func parseLegacyHeapText(_ bytes: [UInt8], symbols: Bool = true) throws(ProfileError) -> Profile {
        var lines = LegacyLines(bytes)
        guard let first = lines.next() else { throw ProfileError(.notAProfile, "not a pprof profile: empty input") }
        guard let header = LegacyHeapHeader(first) else {
            throw ProfileError(.notAProfile, "not a legacy heap profile: the first line is not a heap profile header")
        }
        var p = Profile(sampleTypes: header.hasAlloc
            ? [ValueType(type: "alloc_objects", unit: "count"), ValueType(type: "alloc_space", unit: "bytes"),
               ValueType(type: "inuse_objects", unit: "count"), ValueType(type: "inuse_space", unit: "bytes")]
            : [ValueType(type: "objects", unit: "count"), ValueType(type: "space", unit: "bytes")])
        p.periodType = ValueType(type: "space", unit: "bytes")
        p.period = header.period
        var stacks = LegacyStacks(symbols: symbols)
        while let raw = lines.next() {
            let line = raw.trimmingASCIIWhitespace
            if stacks.skips(line) { continue }
            if line.containsBytes("--- Memory map: ---") || line.containsBytes("MAPPED_LIBRARIES:") { break }
            guard let record = LegacyHeapRecord(line) else {
                throw ProfileError(.malformed, "unexpected number of sample values: got 0, want 6 in \"\(printable(String(decoding: line.prefix(200), as: UTF8.self)))\"")
            }
            var values: [Int64] = []
            var blockSize: Int64 = 0
            func add(_ count: [UInt8], _ size: [UInt8], _ what: String) throws(ProfileError) {
                guard var c = Int64(decimal: count), var s = Int64(decimal: size) else {
                    throw ProfileError(.malformed, "malformed sample: \(printable(String(decoding: line.prefix(200), as: UTF8.self))): value out of range")
                }
                if c == 0 && s != 0 { throw ProfileError(.malformed, "\(what) count was 0 but \(what) bytes was \(s)") }
                if c != 0 {
                    blockSize = s.dividedReportingOverflow(by: c).partialValue  // Go's wrapping division
                    if header.scaled { (c, s) = scaleLegacyHeap(c, s, rate: header.period) }
                }
                values += [c, s]
            }
            if header.hasAlloc { try add(record.allocCount, record.allocBytes, "allocation") }
            try add(record.inuseCount, record.inuseBytes, "inuse")
            let ids = try stacks.locations(record.addresses, of: line, in: &p)
            // A zero label is left out: profile.proto cannot hold one (pprof drops it too).
            p.samples.append(Sample(locationIDs: ids, values: values, numericLabels: blockSize == 0 ? [:] : ["bytes": [blockSize]]))
        }
        stacks.name(&p)
        return p
    }
}

/// pprof's estimate of what a sampled record stands for: counts and bytes divided by the
/// chance 1-e^(-size/rate) that a block of the record's mean size was sampled.
func scaleLegacyHeap(_ count: Int64, _ size: Int64, rate: Int64) -> (Int64, Int64) {
    if count == 0 || size == 0 { return (0, 0) }
    if rate <= 1 { return (count, size) }
    let mean = Double(size) / Double(count)
    let scale = 1 / (1 - exp(-mean / Double(rate)))
    return (goInt64(Double(count) * scale), goInt64(Double(size) * scale))
}
