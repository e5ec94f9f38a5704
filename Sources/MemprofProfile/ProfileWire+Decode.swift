/// profile.proto as it is on the wire: strings are string-table indexes, references are IDs.
/// Decoded in one pass (the string table may come after its users), then resolved.
struct WireProfile {
    struct ValueTypeX { var type: Int64 = 0, unit: Int64 = 0 }
    struct LabelX { var key: Int64 = 0, str: Int64 = 0, num: Int64 = 0, unit: Int64 = 0 }
    struct SampleX { var locationIDs: [UInt64] = [], values: [UInt64] = [], labels: [LabelX] = [] }
    struct MappingX {
        var mapping = Mapping(id: 0)
        var file: Int64 = 0, buildID: Int64 = 0
    }
        struct FunctionX {
        var id: UInt64 = 0, name: Int64 = 0, systemName: Int64 = 0, filename: Int64 = 0, startLine: Int64 = 0
    }

    var sampleTypes: [ValueTypeX] = []
    var samples: [SampleX] = []
    var mappings: [MappingX] = []
    var locations: [Location] = []
    var functions: [FunctionX] = []
    var strings: [String] = []
    var dropFrames: Int64 = 0, keepFrames: Int64 = 0
    var timeNanos: Int64 = 0, durationNanos: Int64 = 0
    var periodType: ValueTypeX?
    var period: Int64 = 0
    var comments: [UInt64] = []
    var defaultSampleType: Int64 = 0
    var docURL: Int64 = 0

    /// Decodes the top-level `Profile` message in `buf`.
    static func decode(_ buf: UnsafeBufferPointer<UInt8>, limits: ParseLimits) throws(ProfileError) -> WireProfile {
        var r = ProtoReader(buf, start: 0, end: buf.count, maxNesting: limits.maxNesting)
        var p = WireProfile()
        var sawTime = false
        func checkCount(_ count: Int, _ what: String, _ field: ProtoField) throws(ProfileError) {
            guard count < limits.maxRecords else {
                throw .limit("more than \(limits.maxRecords) \(what)", at: field.offset)
            }
        }
        while let f = try r.next() {
            switch f.number {
            case 1:
                try checkCount(p.sampleTypes.count, "sample types", f)
                p.sampleTypes.append(try decodeValueType(r.message(f, "sample_type")))
            case 2:
                try checkCount(p.samples.count, "samples", f)
                p.samples.append(try decodeSample(r.message(f, "sample"), limits))
            case 3:
                try checkCount(p.mappings.count, "mappings", f)
                p.mappings.append(try decodeMapping(r.message(f, "mapping")))
            case 4:
                try checkCount(p.locations.count, "locations", f)
                p.locations.append(try decodeLocation(r.message(f, "location"), limits))
            case 5:
                try checkCount(p.functions.count, "functions", f)
                p.functions.append(try decodeFunction(r.message(f, "function")))
            case 6:
                guard p.strings.count < limits.maxStrings else {
                    throw .limit("string table has more than \(limits.maxStrings) entries", at: f.offset)
                }
                let s = try r.string(f, "string_table")
                if p.strings.isEmpty && !s.isEmpty {
                    throw .invalid("string table entry 0 must be empty, found \"\(printable(s))\"")
                }
                p.strings.append(s)
            case 7: p.dropFrames = try r.int64(f, "drop_frames")
            case 8: p.keepFrames = try r.int64(f, "keep_frames")
            case 9:
                guard !sawTime else {
                    throw .malformed("second time_nanos field (concatenated profiles?)", at: f.offset)
                }
                sawTime = true
                p.timeNanos = try r.int64(f, "time_nanos")
            case 10: p.durationNanos = try r.int64(f, "duration_nanos")
            case 11: p.periodType = try decodeValueType(r.message(f, "period_type"))
            case 12: p.period = try r.int64(f, "period")
            case 13: try r.appendVarints(f, to: &p.comments, limit: limits.maxRepeated, "comments")
            case 14: p.defaultSampleType = try r.int64(f, "default_sample_type")
            case 15: p.docURL = try r.int64(f, "doc_url")
            default: continue  // unknown field: skipped by next()
            }
        }
        return p
    }

    private static func decodeValueType(_ reader: ProtoReader) throws(ProfileError) -> ValueTypeX {
        var r = reader
        var v = ValueTypeX()
        while let f = try r.next() {
            switch f.number {
            case 1: v.type = try r.int64(f, "ValueType")
            case 2: v.unit = try r.int64(f, "ValueType")
            default: continue
            }
        }
        return v
    }

    private static func decodeSample(_ reader: ProtoReader, _ limits: ParseLimits) throws(ProfileError) -> SampleX {
        var r = reader
        var s = SampleX()
        while let f = try r.next() {
            switch f.number {
            case 1: try r.appendVarints(f, to: &s.locationIDs, limit: limits.maxRepeated, "location IDs in one sample")
            case 2: try r.appendVarints(f, to: &s.values, limit: limits.maxRepeated, "values in one sample")
            case 3:
                guard s.labels.count < limits.maxRepeated else {
                    throw .limit("more than \(limits.maxRepeated) labels in one sample", at: f.offset)
                }
                var lr = try r.message(f, "Sample.label")
                var l = LabelX()
                while let lf = try lr.next() {
                    switch lf.number {
                    case 1: l.key = try lr.int64(lf, "Label")
                    case 2: l.str = try lr.int64(lf, "Label")
                    case 3: l.num = try lr.int64(lf, "Label")
                    case 4: l.unit = try lr.int64(lf, "Label")
                    default: continue
                    }
                }
                s.labels.append(l)
            default: continue
            }
        }
        return s
    }

    private static func decodeMapping(_ reader: ProtoReader) throws(ProfileError) -> MappingX {
        var r = reader
        var x = MappingX()
        while let f = try r.next() {
            switch f.number {
            case 1: x.mapping.id = try r.varint(f, "Mapping")
            case 2: x.mapping.start = try r.varint(f, "Mapping")
            case 3: x.mapping.limit = try r.varint(f, "Mapping")
            case 4: x.mapping.offset = try r.varint(f, "Mapping")
            case 5: x.file = try r.int64(f, "Mapping")
            case 6: x.buildID = try r.int64(f, "Mapping")
            case 7: x.mapping.hasFunctions = try r.bool(f, "Mapping")
            case 8: x.mapping.hasFilenames = try r.bool(f, "Mapping")
            case 9: x.mapping.hasLineNumbers = try r.bool(f, "Mapping")
            case 10: x.mapping.hasInlineFrames = try r.bool(f, "Mapping")
            default: continue
            }
        }
        return x
    }

    private static func decodeLocation(_ reader: ProtoReader, _ limits: ParseLimits) throws(ProfileError) -> Location {
        var r = reader
        var l = Location(id: 0)
        while let f = try r.next() {
            switch f.number {
            case 1: l.id = try r.varint(f, "Location")
            case 2: l.mappingID = try r.varint(f, "Location")
            case 3: l.address = try r.varint(f, "Location")
            case 4:
                guard l.lines.count < limits.maxRepeated else {
                    throw .limit("more than \(limits.maxRepeated) lines in one location", at: f.offset)
                }
                var lr = try r.message(f, "Location.line")
                var line = Line(functionID: 0)
                while let lf = try lr.next() {
                    switch lf.number {
                    case 1: line.functionID = try lr.varint(lf, "Line")
                    case 2: line.line = try lr.int64(lf, "Line")
                    case 3: line.column = try lr.int64(lf, "Line")
                    default: continue
                    }
                }
                l.lines.append(line)
            case 5: l.isFolded = try r.bool(f, "Location")
            default: continue
            }
        }
        return l
    }

    private static func decodeFunction(_ reader: ProtoReader) throws(ProfileError) -> FunctionX {
        var r = reader
        var x = FunctionX()
        while let f = try r.next() {
            switch f.number {
            case 1: x.id = try r.varint(f, "Function")
            case 2: x.name = try r.int64(f, "Function")
            case 3: x.systemName = try r.int64(f, "Function")
            case 4: x.filename = try r.int64(f, "Function")
            case 5: x.startLine = try r.int64(f, "Function")
            default: continue
            }
        }
        return x
    }
}
