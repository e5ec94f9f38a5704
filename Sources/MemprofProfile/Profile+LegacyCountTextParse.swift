extension Profile {
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
            if stacks.skips(line.trimmingASCIIWhitespace) { continue }
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
}
