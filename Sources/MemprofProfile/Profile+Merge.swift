extension Profile {
    /// Merges profiles into one, as pprof's `profile.Merge` does.
    ///
    /// All profiles must have the same sample types and period type. Mappings are matched by
    /// build ID (else file name) with size and offset, so the same library loaded at different
    /// addresses merges and its locations are rebased; functions are matched by name, system
    /// name, file and start line; locations by mapping-relative address and lines; samples by
    /// stack and labels, and their values are added. Samples whose values are all zero are
    /// dropped, and so is anything no sample refers to. IDs are renumbered from 1 in order of
    /// first use. The header takes the earliest non-zero time, the sum of durations, the
    /// largest period, the comments (each once), and the first non-empty default sample type.
    public static func merge(_ profiles: [Profile]) throws(ProfileError) -> Profile {
        guard let first = profiles.first else { throw .invalid("no profiles to merge") }
        for (i, p) in profiles.enumerated() {
            do {
                try p.validate()
            } catch {
                throw ProfileError(error.kind, "profile \(i + 1) of \(profiles.count): \(error.message)")
            }
            guard i > 0 else { continue }
            if p.sampleTypes != first.sampleTypes {
                throw ProfileError(.incompatible, "cannot merge profiles with different sample types: "
                    + "\(describe(first.sampleTypes)) and \(describe(p.sampleTypes)) (profile \(i + 1))")
            }
            if !samePeriodType(p.periodType, first.periodType) {
                throw ProfileError(.incompatible, "cannot merge profiles with different period types: "
                    + "\(describe(first.periodType)) and \(describe(p.periodType)) (profile \(i + 1))")
            }
        }
        var merger = ProfileMerger(header: combinedHeader(profiles))
        for p in profiles { merger.add(p) }
        let merged = merger.result
        if merged.samples.contains(where: { $0.values.allSatisfy { $0 == 0 } }) {
            // Values that cancelled out: merge once more to drop them and what they used.
            var again = ProfileMerger(header: merged)
            again.add(merged)
            return again.result
        }
        return merged
    }

    /// The same profile with unreferenced mappings, locations and functions removed, duplicate
    /// entries and all-zero samples merged away and IDs renumbered from 1 (pprof `Compact`).
    public func compacted() throws(ProfileError) -> Profile {
        try Profile.merge([self])
    }

    private static func combinedHeader(_ profiles: [Profile]) -> Profile {
        var p = Profile(
            sampleTypes: profiles[0].sampleTypes, dropFrames: profiles[0].dropFrames,
            keepFrames: profiles[0].keepFrames, periodType: profiles[0].periodType)
        var seenComments = Set<String>()
        for s in profiles {
            if s.timeNanos != 0 && (p.timeNanos == 0 || s.timeNanos < p.timeNanos) { p.timeNanos = s.timeNanos }
            p.durationNanos &+= s.durationNanos
            p.period = max(p.period, s.period)
            for c in s.comments where seenComments.insert(c).inserted { p.comments.append(c) }
            if p.defaultSampleType.isEmpty { p.defaultSampleType = s.defaultSampleType }
            if p.docURL.isEmpty { p.docURL = s.docURL }
        }
        return p
    }

    static func samePeriodType(_ a: ValueType?, _ b: ValueType?) -> Bool {
        (a ?? ValueType(type: "", unit: "")) == (b ?? ValueType(type: "", unit: ""))
    }

    static func describe(_ types: [ValueType]) -> String {
        "[" + types.map { printable("\($0.type)/\($0.unit)") }.joined(separator: " ") + "]"
    }

    static func describe(_ type: ValueType?) -> String {
        type.map { printable("\($0.type)/\($0.unit)") } ?? "none"
    }
}

/// Builds a merged profile; `add` maps one source profile's entries into the result.
private struct ProfileMerger {
    struct SampleKey: Hashable {
        var locations: [UInt64]
        var labels: [String: [String]]
        var numericLabels: [String: [Int64]]
    }
    struct LineKey: Hashable { var function: UInt64, line: Int64, column: Int64 }
    struct LocationKey: Hashable {
        var address: UInt64, mapping: UInt64, lines: [LineKey], isFolded: Bool
    }
    struct FunctionKey: Hashable { var name: String, systemName: String, filename: String, startLine: Int64 }
    struct MappingKey: Hashable { var size: UInt64, offset: UInt64, buildIDOrFile: String, isBuildID: Bool }

    var result: Profile
    private var samples: [SampleKey: Int] = [:]
    private var locations: [LocationKey: UInt64] = [:]
    private var functions: [FunctionKey: UInt64] = [:]
    private var mappings: [MappingKey: Int] = [:]

    init(header: Profile) {
        result = header
        result.samples = []
        result.mappings = []
        result.locations = []
        result.functions = []
    }

    /// Per-source memo tables and lookups.
    private struct Source {
        var locationIndex: [UInt64: Int] = [:]
        var functionIndex: [UInt64: Int] = [:]
        var mappingIndex: [UInt64: Int] = [:]
        var locationMap: [UInt64: UInt64] = [:]
        var functionMap: [UInt64: UInt64] = [:]
        var mappingMap: [UInt64: (index: Int, delta: UInt64)] = [:]
    }

    mutating func add(_ src: Profile) {
        var s = Source()
        for (i, l) in src.locations.enumerated() { s.locationIndex[l.id] = i }
        for (i, f) in src.functions.enumerated() { s.functionIndex[f.id] = i }
        for (i, m) in src.mappings.enumerated() { s.mappingIndex[m.id] = i }
        if result.mappings.isEmpty, let main = src.mappings.first {
            // The first mapping is the main binary by convention: keep it first.
            _ = mapMapping(main, &s)
        }
        for sample in src.samples where !sample.values.allSatisfy({ $0 == 0 }) {
            var ids: [UInt64] = []
            ids.reserveCapacity(sample.locationIDs.count)
            for id in sample.locationIDs {
                ids.append(mapLocation(src.locations[s.locationIndex[id]!], src, &s))
            }
            let key = SampleKey(locations: ids, labels: sample.labels, numericLabels: sample.numericLabels)
            if let existing = samples[key] {
                for (i, v) in sample.values.enumerated() { result.samples[existing].values[i] &+= v }
            } else {
                var copy = sample
                copy.locationIDs = ids
                samples[key] = result.samples.count
                result.samples.append(copy)
            }
        }
    }

    private mutating func mapLocation(_ src: Location, _ profile: Profile, _ s: inout Source) -> UInt64 {
        if let id = s.locationMap[src.id] { return id }
        var mappingID: UInt64 = 0
        var address = src.address
        var keyAddress = src.address
        if src.mappingID != 0, let index = s.mappingIndex[src.mappingID] {
            let mapped = mapMapping(profile.mappings[index], &s)
            let m = result.mappings[mapped.index]
            mappingID = m.id
            address = src.address &+ mapped.delta
            keyAddress = address &- m.start
        }
        var lines: [Line] = []
        for line in src.lines {
            let f = profile.functions[s.functionIndex[line.functionID]!]
            lines.append(Line(functionID: mapFunction(f, &s), line: line.line, column: line.column))
        }
        let key = LocationKey(
            address: keyAddress, mapping: mappingID,
            lines: lines.map { LineKey(function: $0.functionID, line: $0.line, column: $0.column) },
            isFolded: src.isFolded)
        if let id = locations[key] {
            s.locationMap[src.id] = id
            return id
        }
        let id = UInt64(result.locations.count + 1)
        result.locations.append(Location(id: id, mappingID: mappingID, address: address, lines: lines, isFolded: src.isFolded))
        locations[key] = id
        s.locationMap[src.id] = id
        return id
    }

    private mutating func mapMapping(_ src: Mapping, _ s: inout Source) -> (index: Int, delta: UInt64) {
        if let known = s.mappingMap[src.id] { return known }
        // Sizes rounded up to 4 KiB hide small differences between runs, as in pprof.
        var size = src.limit &- src.start
        size = (size &+ 0xfff) & ~UInt64(0xfff)
        let byBuildID = MappingKey(size: size, offset: src.offset, buildIDOrFile: src.buildID, isBuildID: true)
        let byFile = MappingKey(size: size, offset: src.offset, buildIDOrFile: src.file, isBuildID: false)
        // A mapping with neither build ID nor file (anonymous memory, JIT code) is keyed by size
        // and offset alone, as in pprof, so that the same fake mapping of two profiles merges.
        let isFake = src.buildID.isEmpty && src.file.isEmpty
        for (key, usable) in [(byBuildID, !src.buildID.isEmpty), (byFile, !src.file.isEmpty || isFake)] where usable {
            if let index = mappings[key] {
                let found = (index: index, delta: result.mappings[index].start &- src.start)
                s.mappingMap[src.id] = found
                return found
            }
        }
        var m = src
        m.id = UInt64(result.mappings.count + 1)
        let index = result.mappings.count
        result.mappings.append(m)
        if !src.buildID.isEmpty { mappings[byBuildID] = index }
        if !src.file.isEmpty || isFake { mappings[byFile] = index }
        s.mappingMap[src.id] = (index, 0)
        return (index, 0)
    }

    private mutating func mapFunction(_ src: Function, _ s: inout Source) -> UInt64 {
        if let id = s.functionMap[src.id] { return id }
        let key = FunctionKey(name: src.name, systemName: src.systemName, filename: src.filename, startLine: src.startLine)
        let id: UInt64
        if let known = functions[key] {
            id = known
        } else {
            id = UInt64(result.functions.count + 1)
            var f = src
            f.id = id
            result.functions.append(f)
            functions[key] = id
        }
        s.functionMap[src.id] = id
        return id
    }
}
