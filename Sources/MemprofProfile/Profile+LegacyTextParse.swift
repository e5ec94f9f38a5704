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
    ///   size (bytes over count, when not 0), and one location per address, at the address minus one (the call, not the
    ///   return address).
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
            if line.isEmpty || line.first == UInt8(ascii: "#") {
                stacks.comment(line)
                continue
            }
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
            var ids: [UInt64] = []
            for hex in record.addresses {
                guard let address = UInt64(hexDigits: hex) else {
                    throw ProfileError(.malformed, "malformed sample: \(printable(String(decoding: line.prefix(200), as: UTF8.self))): failed to parse as hex 64-bit number: 0x"
                        + String(decoding: hex, as: UTF8.self))
                }
                ids.append(stacks.location(returnAddress: address, in: &p))
            }
            // A zero label is left out: profile.proto cannot hold one (pprof drops it too).
            p.samples.append(Sample(locationIDs: ids, values: values, numericLabels: blockSize == 0 ? [:] : ["bytes": [blockSize]]))
        }
        stacks.name(&p)
        return p
    }

    /// Reads Go's text count profiles (`/debug/pprof/goroutine?debug=1`, `threadcreate`), as
    /// `go tool pprof` reads them: a header `goroutine profile: total 7` naming the one sample
    /// type (unit `count`), then records `5 @ 0x437556 0x40619b ...`, each a sample of that
    /// count, its locations at the addresses minus one. Records end at a line starting with
    /// `---`. With `symbols`, the `#` lines name the locations, as for heap text.
    public static func parseLegacyCountText(_ bytes: [UInt8], symbols: Bool = true) throws(ProfileError) -> Profile {
        var lines = LegacyLines(bytes)
        var first: [UInt8]?
        while let line = lines.next() {
            let trimmed = line.trimmingASCIIWhitespace
            if !trimmed.isEmpty && trimmed.first != UInt8(ascii: "#") {
                first = line
                break
            }
        }
        guard let first, let type = LegacyCountRecord.profileType(first) else {
            throw ProfileError(.notAProfile, "not a legacy count profile: no \"NAME profile: total N\" line")
        }
        var p = Profile(sampleTypes: [ValueType(type: type, unit: "count")])
        p.periodType = ValueType(type: type, unit: "count")
        p.period = 1
        var stacks = LegacyStacks(symbols: symbols)
        while let line = lines.next() {
            let trimmed = line.trimmingASCIIWhitespace
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") {
                stacks.comment(trimmed)
                continue
            }
            if line.starts(with: Array("---".utf8)) { break }
            guard let record = LegacyCountRecord(line) else {
                throw ProfileError(.malformed, "malformed count profile record: \"\(printable(String(decoding: line.prefix(200), as: UTF8.self)))\"")
            }
            let ids = record.addresses.map { stacks.location(returnAddress: $0, in: &p) }
            p.samples.append(Sample(locationIDs: ids, values: [record.count]))
        }
        stacks.name(&p)
        return p
    }

    /// Reads Go's text mutex and block profiles (`/debug/pprof/mutex?debug=1`, `block`), as
    /// `go tool pprof` reads them: a `--- mutex:` or `--- contention:` line, attributes
    /// (`cycles/second`, `sampling period`, `ms since reset`; any other ends the reading
    /// as pprof's does), then records `CYCLES COUNT @ 0x... 0x...`. The sample types are
    /// `contentions` (the count times the period) and `delay` (cycles times the period, in
    /// nanoseconds at the given cycles per second). With `symbols`, the `#` lines name the
    /// locations.
    public static func parseLegacyContentionText(_ bytes: [UInt8], symbols: Bool = true) throws(ProfileError) -> Profile {
        var lines = LegacyLines(bytes)
        guard let first = lines.next(), LegacyContentionRecord.isHeader(first) else {
            throw ProfileError(.notAProfile, "not a legacy contention profile: no \"--- mutex:\" or \"--- contention:\" line")
        }
        var p = Profile(sampleTypes: [ValueType(type: "contentions", unit: "count"), ValueType(type: "delay", unit: "nanoseconds")])
        p.periodType = ValueType(type: "contentions", unit: "count")
        p.period = 1
        var cpuHz: Int64 = 0
        var next: [UInt8]?  // the line that ended the attributes
        while let raw = lines.next() {
            let line = raw.trimmingASCIIWhitespace
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard !line.starts(with: Array("---".utf8)), let eq = line.firstIndex(of: UInt8(ascii: "=")) else {
                next = line
                break
            }
            let key = String(decoding: Array(line[..<eq]).trimmingASCIIWhitespace, as: UTF8.self)
            let text = String(decoding: Array(line[(eq + 1)...]).trimmingASCIIWhitespace, as: UTF8.self)
            func value() throws(ProfileError) -> Int64 {
                guard let v = goParseInt(text) else {
                    throw ProfileError(.notAProfile, "not a legacy contention profile: \(key) = \"\(printable(text))\" is not a number")
                }
                return v
            }
            switch key {
            case "cycles/second": cpuHz = try value()
            case "sampling period": p.period = try value()
            case "ms since reset": p.durationNanos = try value() &* 1_000_000
            case "discarded samples": break
            default: throw ProfileError(.notAProfile, "not a legacy contention profile: unknown attribute \"\(printable(key))\"")
            }
        }
        var stacks = LegacyStacks(symbols: symbols)
        var current = next
        while let line = current?.trimmingASCIIWhitespace, !line.starts(with: Array("---".utf8)) {
            if line.isEmpty || line.first == UInt8(ascii: "#") {
                stacks.comment(line)
            } else {
                let shown = printable(String(decoding: line.prefix(200), as: UTF8.self))
                guard let record = LegacyContentionRecord(line) else {
                    throw ProfileError(.notAProfile, "not a legacy contention profile: unexpected line \"\(shown)\"")
                }
                guard var cycles = Int64(decimal: record.cycles), var count = Int64(decimal: record.count) else {
                    throw ProfileError(.malformed, "malformed sample: \(shown): value out of range")
                }
                if p.period > 0 {
                    if cpuHz > 0 { cycles = goInt64(Double(cycles) * Double(p.period) / (Double(cpuHz) / 1e9)) }
                    count = count &* p.period
                }
                var ids: [UInt64] = []
                for hex in record.addresses {
                    guard let address = UInt64(hexDigits: hex) else {
                        throw ProfileError(.malformed, "malformed sample: \(shown): failed to parse as hex 64-bit number: 0x"
                            + String(decoding: hex, as: UTF8.self))
                    }
                    ids.append(stacks.location(returnAddress: address, in: &p))
                }
                p.samples.append(Sample(locationIDs: ids, values: [count, cycles]))
            }
            current = lines.next()
        }
        stacks.name(&p)
        return p
    }

    /// Reads the legacy text `bytes` hold (decompressed), heap, count or contention, or nil
    /// when they start like none of them.
    static func parseLegacyText(_ bytes: [UInt8]) throws(ProfileError) -> Profile? {
        var lines = LegacyLines(bytes)
        guard let first = lines.next() else { return nil }
        if LegacyHeapHeader(first) != nil { return try parseLegacyHeapText(bytes) }
        if LegacyContentionRecord.isHeader(first) { return try parseLegacyContentionText(bytes) }
        var line: [UInt8]? = first
        while let l = line, l.trimmingASCIIWhitespace.isEmpty || l.trimmingASCIIWhitespace.first == UInt8(ascii: "#") {
            line = lines.next()
        }
        if let line, LegacyCountRecord.profileType(line) != nil { return try parseLegacyCountText(bytes) }
        return nil
    }
}

/// The locations of a legacy text profile, one per distinct address, and the names its `#`
/// lines give them.
struct LegacyStacks {
    let symbols: Bool
    private var index: [UInt64: UInt64] = [:]
    private var frames: [UInt64: [(name: String, file: String, line: Int64)]] = [:]

    init(symbols: Bool) { self.symbols = symbols }

    /// The id of the location of a return address (the call: the address minus one, as pprof
    /// takes every frame's), added to `p` if new.
    mutating func location(returnAddress: UInt64, in p: inout Profile) -> UInt64 {
        let address = returnAddress &- 1
        if let id = index[address] { return id }
        let id = UInt64(p.locations.count + 1)
        p.locations.append(Location(id: id, address: address))
        index[address] = id
        return id
    }

    /// A comment line: a frame `#	0xPC	name+0xOFF	file:line` when it is one.
    mutating func comment(_ line: [UInt8]) {
        if symbols, let frame = LegacyFrame(line) { frames[frame.pc, default: []].append(frame.symbol) }
    }

    /// Gives each location the frames the `#` lines named at its address (several lines at
    /// one address: inlined frames, innermost first).
    func name(_ p: inout Profile) {
        var functionIndex: [String: UInt64] = [:]
        for i in p.locations.indices {
            guard let named = frames[p.locations[i].address] else { continue }
            p.locations[i].lines = named.map { frame in
                let key = frame.name + "\u{0}" + frame.file
                if let id = functionIndex[key] { return Line(functionID: id, line: frame.line) }
                let id = UInt64(p.functions.count + 1)
                p.functions.append(Function(id: id, name: frame.name, systemName: frame.name, filename: frame.file))
                functionIndex[key] = id
                return Line(functionID: id, line: frame.line)
            }
        }
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

/// Go's `int64(float64)` for values in range; saturates outside it.
func goInt64(_ v: Double) -> Int64 {
    if v.isNaN { return 0 }
    if v >= 9.2233720368547758e18 { return .max }
    if v <= -9.2233720368547758e18 { return .min }
    return Int64(v)
}
