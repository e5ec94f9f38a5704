extension Profile {
    /// Encodes the profile in profile.proto format, gzipped unless `gzip` is false.
    ///
    /// The output is deterministic and follows pprof's own encoder field by field: the string
    /// table is deduplicated and starts with `""`, label keys are written in sorted order,
    /// and so `go tool pprof` (and any protobuf reader) reads it unchanged. Should zlib fail
    /// (out of memory), the plain protobuf is returned, which readers accept as well.
    /// As in pprof, a string label whose value is `""`, or a numeric label 0 without a unit,
    /// cannot be told from an absent one and is dropped when read back.
    public func encoded(gzip: Bool = true) -> [UInt8] {
        let plain = encodedProtobuf()
        guard gzip else { return plain }
        return Gzip.compress(plain) ?? plain
    }

    private func encodedProtobuf() -> [UInt8] {
        var strings = StringTable()
        // Intern strings in the order pprof does, so output matches it byte for byte.
        let sampleTypeX = sampleTypes.map { (strings.add($0.type), strings.add($0.unit)) }
        let labelsX = samples.map { sample -> [(key: Int64, str: Int64, num: Int64, unit: Int64)] in
            var out: [(key: Int64, str: Int64, num: Int64, unit: Int64)] = []
            for key in sample.labels.keys.sorted() {
                for value in sample.labels[key]! {
                    out.append((strings.add(key), strings.add(value), 0, 0))
                }
            }
            for key in sample.numericLabels.keys.sorted() {
                let keyX = strings.add(key)
                let units = sample.numericUnits[key] ?? []
                for (i, value) in sample.numericLabels[key]!.enumerated() {
                    let unitX = units.isEmpty ? 0 : strings.add(i < units.count ? units[i] : "")
                    out.append((keyX, 0, value, unitX))
                }
            }
            return out
        }
        let mappingX = mappings.map { (strings.add($0.file), strings.add($0.buildID)) }
        let functionX = functions.map { (strings.add($0.name), strings.add($0.systemName), strings.add($0.filename)) }
        let dropX = strings.add(dropFrames)
        let keepX = strings.add(keepFrames)
        let periodX = periodType.map { (strings.add($0.type), strings.add($0.unit)) }
        let commentX = comments.map { strings.add($0) }
        let defaultX = strings.add(defaultSampleType)
        let docX = strings.add(docURL)

        var w = ProtoWriter()
        for (type, unit) in sampleTypeX {
            w.message(1) { w in
                w.int64Opt(1, type)
                w.int64Opt(2, unit)
            }
        }
        for (sample, labels) in zip(samples, labelsX) {
            w.message(2) { w in
                w.uint64s(1, sample.locationIDs)
                w.int64s(2, sample.values)
                for l in labels {
                    w.message(3) { w in
                        w.int64Opt(1, l.key)
                        w.int64Opt(2, l.str)
                        w.int64Opt(3, l.num)
                        w.int64Opt(4, l.unit)
                    }
                }
            }
        }
        for (m, (fileX, buildIDX)) in zip(mappings, mappingX) {
            w.message(3) { w in
                w.uint64Opt(1, m.id)
                w.uint64Opt(2, m.start)
                w.uint64Opt(3, m.limit)
                w.uint64Opt(4, m.offset)
                w.int64Opt(5, fileX)
                w.int64Opt(6, buildIDX)
                w.boolOpt(7, m.hasFunctions)
                w.boolOpt(8, m.hasFilenames)
                w.boolOpt(9, m.hasLineNumbers)
                w.boolOpt(10, m.hasInlineFrames)
            }
        }
        for l in locations {
            w.message(4) { w in
                w.uint64Opt(1, l.id)
                w.uint64Opt(2, l.mappingID)
                w.uint64Opt(3, l.address)
                for line in l.lines {
                    w.message(4) { w in
                        w.uint64Opt(1, line.functionID)
                        w.int64Opt(2, line.line)
                        w.int64Opt(3, line.column)
                    }
                }
                w.boolOpt(5, l.isFolded)
            }
        }
        for (f, (nameX, systemX, fileX)) in zip(functions, functionX) {
            w.message(5) { w in
                w.uint64Opt(1, f.id)
                w.int64Opt(2, nameX)
                w.int64Opt(3, systemX)
                w.int64Opt(4, fileX)
                w.int64Opt(5, f.startLine)
            }
        }
        for s in strings.entries { w.string(6, s) }
        w.int64Opt(7, dropX)
        w.int64Opt(8, keepX)
        w.int64Opt(9, timeNanos)
        w.int64Opt(10, durationNanos)
        if let (typeX, unitX) = periodX, typeX != 0 || unitX != 0 {
            w.message(11) { w in
                w.int64Opt(1, typeX)
                w.int64Opt(2, unitX)
            }
        }
        w.int64Opt(12, period)
        w.int64s(13, commentX)
        w.int64(14, defaultX)  // pprof always writes this one, even when zero
        w.int64Opt(15, docX)
        return w.bytes
    }
}

/// The deduplicated string table of an encoded profile; entry 0 is always "".
struct StringTable {
    private(set) var entries: [String] = [""]
    private var index: [String: Int64] = ["": 0]

    mutating func add(_ s: String) -> Int64 {
        if let i = index[s] { return i }
        let i = Int64(entries.count)
        entries.append(s)
        index[s] = i
        return i
    }
}
