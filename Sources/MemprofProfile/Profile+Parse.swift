extension Profile {
    /// Reads a profile in pprof's profile.proto format, gzipped or not, or Go's legacy text
    /// (`/debug/pprof/heap?debug=1`, `goroutine?debug=1`: see `parseLegacyHeapText` and
    /// `parseLegacyCountText`).
    ///
    /// Input starting with the gzip magic bytes `1f 8b` is decompressed first (several
    /// concatenated gzip members are read as one stream). The result is validated with
    /// `validate()`. Hostile or damaged input of any kind gives a `ProfileError` with a
    /// one-line message; `limits` bound the memory and work spent.
    public static func parse(_ bytes: [UInt8], limits: ParseLimits = .default) throws(ProfileError) -> Profile {
        guard !bytes.isEmpty else { throw ProfileError(.notAProfile, "not a pprof profile: empty input") }
        var data = bytes
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
            data = try Gzip.decompress(bytes, limit: limits.maxDecompressedBytes)
            guard !data.isEmpty else {
                throw ProfileError(.notAProfile, "not a pprof profile: gzip stream holds no data")
            }
        } else if bytes.count > limits.maxDecompressedBytes {
            throw .limit("input of \(bytes.count) bytes exceeds limit of \(formatByteCount(limits.maxDecompressedBytes))")
        }
        let profile: Profile
        do {
            let wire = try data.withUnsafeBufferPointer { (buf) throws(ProfileError) -> WireProfile in
                try WireProfile.decode(buf, limits: limits)
            }
            profile = try wire.resolved()
        } catch {
            // Go's `?debug=1` heap and count texts, which go tool pprof reads too.
            if error.kind == .malformed || error.kind == .invalid, let legacy = try parseLegacyText(data) {
                return legacy
            }
            if error.kind == .malformed || error.kind == .invalid, let text = textPrefix(data) {
                throw ProfileError(
                    .notAProfile,
                    "not a pprof profile: input is text (\"\(text)\"); only profile.proto and Go's text profiles are read",
                    offset: error.offset)
            }
            throw error
        }
        try profile.validate()
        return profile
    }

    /// The first line of `data` when it looks like text (a legacy profile, HTML, JSON...).
    private static func textPrefix(_ data: [UInt8]) -> String? {
        let head = data.prefix(64)
        let isText = head.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || (0x20..<0x7f).contains($0) }
        guard isText, head.count >= 4 else { return nil }
        let line = head.prefix { $0 != 10 && $0 != 13 }
        return printable(String(decoding: line, as: UTF8.self))
    }
}

extension WireProfile {
    /// Resolves string-table indexes into strings; IDs are kept as they are.
    func resolved() throws(ProfileError) -> Profile {
        let table = strings.isEmpty ? [""] : strings
        func str(_ index: Int64, _ what: @autoclosure () -> String) throws(ProfileError) -> String {
            guard index >= 0 && index < Int64(table.count) else {
                throw .invalid("\(what()) refers to string \(index), but the string table has \(table.count) entries")
            }
            return table[Int(index)]
        }
        func valueType(_ v: ValueTypeX, _ what: String) throws(ProfileError) -> ValueType {
            ValueType(type: try str(v.type, "\(what) type"), unit: try str(v.unit, "\(what) unit"))
        }

        var p = Profile()
        for (i, st) in sampleTypes.enumerated() {
            p.sampleTypes.append(try valueType(st, "sample type \(i + 1)"))
        }
        p.samples.reserveCapacity(samples.count)
        for (i, s) in samples.enumerated() {
            var sample = Sample(locationIDs: s.locationIDs, values: s.values.map { Int64(bitPattern: $0) })
            for label in s.labels {
                let key = try str(label.key, "label key of sample \(i + 1)")
                if label.str != 0 {
                    sample.labels[key, default: []].append(try str(label.str, "label \(printable(key)) of sample \(i + 1)"))
                } else if label.num != 0 || label.unit != 0 {
                    // Same rules as pprof: units are padded to the number of values.
                    var values = sample.numericLabels[key, default: []]
                    if label.unit != 0 {
                        var units = sample.numericUnits[key, default: []]
                        while units.count < values.count { units.append("") }
                        units.append(try str(label.unit, "unit of label \(printable(key)) of sample \(i + 1)"))
                        sample.numericUnits[key] = units
                    }
                    values.append(label.num)
                    sample.numericLabels[key] = values
                }
            }
            for (key, units) in sample.numericUnits {
                let count = sample.numericLabels[key]?.count ?? 0
                if units.count < count {
                    sample.numericUnits[key] = units + Array(repeating: "", count: count - units.count)
                }
            }
            p.samples.append(sample)
        }
        for m in mappings {
            var mapping = m.mapping
            mapping.file = try str(m.file, "file of mapping \(mapping.id)")
            mapping.buildID = try str(m.buildID, "build ID of mapping \(mapping.id)")
            p.mappings.append(mapping)
        }
        p.locations = locations
        for f in functions {
            p.functions.append(Function(
                id: f.id, name: try str(f.name, "name of function \(f.id)"),
                systemName: try str(f.systemName, "system name of function \(f.id)"),
                filename: try str(f.filename, "file name of function \(f.id)"), startLine: f.startLine))
        }
        p.dropFrames = try str(dropFrames, "drop_frames")
        p.keepFrames = try str(keepFrames, "keep_frames")
        p.timeNanos = timeNanos
        p.durationNanos = durationNanos
        if let pt = periodType {
            let resolved = try valueType(pt, "period")
            p.periodType = resolved.type.isEmpty && resolved.unit.isEmpty ? nil : resolved
        }
        p.period = period
        for c in comments {
            p.comments.append(try str(Int64(bitPattern: c), "comment"))
        }
        p.defaultSampleType = try str(defaultSampleType, "default_sample_type")
        p.docURL = try str(docURL, "doc_url")
        return p
    }
}
