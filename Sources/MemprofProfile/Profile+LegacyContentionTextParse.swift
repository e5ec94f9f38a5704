extension Profile {
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
            if !stacks.skips(line) {
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
                let ids = try stacks.locations(record.addresses, of: line, in: &p)
                p.samples.append(Sample(locationIDs: ids, values: [count, cycles]))
            }
            current = lines.next()
        }
        stacks.name(&p)
        return p
    }
}
