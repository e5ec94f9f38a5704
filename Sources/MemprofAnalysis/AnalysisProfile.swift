import MemprofProfile

/// A profile resolved into index-linked arrays and normalised the way pprof's driver does
/// before any report: identical mappings, functions, locations and samples merged, samples
/// whose values are all zero removed. Reports then filter and aggregate it in place.
struct AnalysisProfile {
    struct Location {
        var mapping: Int?
        var address: UInt64
        var lines: [Line]
        var isFolded: Bool
    }

    struct Line {
        /// Index into `functions`.
        var function: Int
        var line: Int64
    }

    struct Sample {
        /// Indices into `locations`, leaf first.
        var locations: [Int]
        var values: [Int64]
        var labels: [String: [String]]
        var numericLabels: [String: [Int64]]
        var numericUnits: [String: [String]]
    }

    var sampleTypes: [ValueType]
    var defaultSampleType: String
    var mappings: [Mapping]
    var functions: [Function]
    var locations: [Location]
    var samples: [Sample]
    var dropFrames: String
    var keepFrames: String
    var timeNanos: Int64
    var durationNanos: Int64
    var comments: [String]
    /// Function names before `applyNameStyle` shortened them (nil if it did not).
    var fullNames: [String]? = nil
    /// Readable and full names by function index, before the report's options chose one.
    var nameViews: NameViews? = nil

    /// Resolves IDs and merges duplicates (pprof's `profile.Merge` of a single profile).
    init(_ p: Profile) throws {
        sampleTypes = p.sampleTypes
        defaultSampleType = p.defaultSampleType
        dropFrames = p.dropFrames
        keepFrames = p.keepFrames
        timeNanos = p.timeNanos
        durationNanos = p.durationNanos
        var seenComments = Set<String>()
        comments = p.comments.filter { seenComments.insert($0).inserted }
        mappings = []
        functions = []
        locations = []
        samples = []

        var merger = Merger(source: p)
        // pprof gives a profile without mappings one empty mapping that every location uses.
        if p.mappings.isEmpty {
            merger.fakeMapping = Mapping(id: 1)
            merger.mappingsByID[1] = merger.fakeMapping
        }
        if let first = merger.fakeMapping ?? p.mappings.first { _ = merger.mapMapping(first.id, into: &self) }
        var sampleIndex: [SampleKey: Int] = [:]
        for s in p.samples where s.values.count != p.sampleTypes.count {
            throw AnalysisError.danglingReference(
                "mismatch: sample has \(s.values.count) values vs. \(p.sampleTypes.count) types")
        }
        for s in p.samples where s.values.contains(where: { $0 != 0 }) {
            var locs: [Int] = []
            locs.reserveCapacity(s.locationIDs.count)
            for id in s.locationIDs { locs.append(try merger.mapLocation(id, into: &self)) }
            let key = SampleKey(locations: locs, labels: s.labels, numericLabels: s.numericLabels,
                                numericUnits: s.numericUnits)
            if let i = sampleIndex[key] {
                for (j, v) in s.values.enumerated() where j < samples[i].values.count {
                    samples[i].values[j] = samples[i].values[j] &+ v
                }
            } else {
                sampleIndex[key] = samples.count
                samples.append(Sample(locations: locs, values: s.values, labels: s.labels,
                                      numericLabels: s.numericLabels, numericUnits: s.numericUnits))
            }
        }
        samples.removeAll { !$0.values.contains(where: { $0 != 0 }) }
    }

    /// The index of the sample type `name` selects (pprof `-sample_index`).
    func sampleIndex(_ name: String?) throws -> Int {
        if sampleTypes.isEmpty { throw AnalysisError.noSampleTypes }
        let names = sampleTypes.map(\.type)
        guard let name, !name.isEmpty else {
            if !defaultSampleType.isEmpty, let i = names.firstIndex(of: defaultSampleType) { return i }
            return sampleTypes.count - 1
        }
        if let i = Int(name) {
            guard i >= 0 && i < sampleTypes.count else {
                throw AnalysisError.sampleIndexOutOfRange(name, last: sampleTypes.count - 1)
            }
            return i
        }
        let noInuse = name.hasPrefix("inuse_") ? String(name.dropFirst(6)) : name
        if let i = names.firstIndex(where: { $0 == name || $0 == noInuse }) { return i }
        throw AnalysisError.unknownSampleIndex(name, available: names)
    }

    /// The file of the mapping a location belongs to, or empty.
    func objectFile(of location: Location) -> String {
        location.mapping.map { mappings[$0].file } ?? ""
    }
}

private struct SampleKey: Hashable {
    var locations: [Int]
    var labels: [String: [String]]
    var numericLabels: [String: [Int64]]
    var numericUnits: [String: [String]]
}

private struct MappingKey: Hashable {
    var size: UInt64
    var offset: UInt64
    var buildIDOrFile: String
}

private struct FunctionKey: Hashable {
    var startLine: Int64
    var name: String
    var systemName: String
    var filename: String
}

private struct LocationKey: Hashable {
    var address: UInt64
    var mapping: Int
    var lines: [Int64]
    var isFolded: Bool
}

/// Memo tables of one merge: source IDs to merged indices, and content keys to indices.
private struct Merger {
    let source: Profile
    var mappingsByID: [UInt64: Mapping] = [:]
    var functionsByID: [UInt64: Function] = [:]
    var locationsByID: [UInt64: MemprofProfile.Location] = [:]
    var mappedMappings: [UInt64: (index: Int, offset: Int64)] = [:]
    var mappedFunctions: [UInt64: Int] = [:]
    var mappedLocations: [UInt64: Int] = [:]
    var mappingKeys: [MappingKey: Int] = [:]
    var functionKeys: [FunctionKey: Int] = [:]
    var locationKeys: [LocationKey: Int] = [:]
    var fakeMapping: Mapping?

    init(source: Profile) {
        self.source = source
        for m in source.mappings where mappingsByID[m.id] == nil { mappingsByID[m.id] = m }
        for f in source.functions where functionsByID[f.id] == nil { functionsByID[f.id] = f }
        for l in source.locations where locationsByID[l.id] == nil { locationsByID[l.id] = l }
    }

    mutating func mapMapping(_ id: UInt64, into p: inout AnalysisProfile) -> (index: Int, offset: Int64)? {
        if let m = mappedMappings[id] { return m }
        guard let src = mappingsByID[id] else { return nil }
        let rounding: UInt64 = 0x1000
        var size = src.limit &- src.start
        size = size &+ rounding &- 1
        size = size &- size % rounding
        let key = MappingKey(size: size, offset: src.offset,
                             buildIDOrFile: src.buildID.isEmpty ? src.file : src.buildID)
        let result: (index: Int, offset: Int64)
        if let i = mappingKeys[key] {
            result = (i, Int64(bitPattern: p.mappings[i].start) &- Int64(bitPattern: src.start))
        } else {
            var m = src
            m.id = UInt64(p.mappings.count + 1)
            p.mappings.append(m)
            mappingKeys[key] = p.mappings.count - 1
            result = (p.mappings.count - 1, 0)
        }
        mappedMappings[id] = result
        return result
    }

    mutating func mapFunction(_ id: UInt64, into p: inout AnalysisProfile) -> Int? {
        if id == 0 { return nil }
        if let i = mappedFunctions[id] { return i }
        guard let f = functionsByID[id] else { return nil }
        let key = FunctionKey(startLine: f.startLine, name: f.name, systemName: f.systemName, filename: f.filename)
        let i: Int
        if let existing = functionKeys[key] {
            i = existing
        } else {
            i = p.functions.count
            var copy = f
            copy.id = UInt64(i + 1)
            p.functions.append(copy)
            functionKeys[key] = i
        }
        mappedFunctions[id] = i
        return i
    }

    mutating func mapLocation(_ id: UInt64, into p: inout AnalysisProfile) throws -> Int {
        if let i = mappedLocations[id] { return i }
        guard let src = locationsByID[id] else {
            throw AnalysisError.danglingReference("sample refers to unknown location \(id)")
        }
        // An unknown mapping ID reads as no mapping (as in pprof); a line must name a function.
        let mappingID = fakeMapping?.id ?? src.mappingID
        let mapping = mappingID == 0 ? nil : mapMapping(mappingID, into: &p)
        var lines: [AnalysisProfile.Line] = []
        for line in src.lines {
            guard let f = mapFunction(line.functionID, into: &p) else {
                throw AnalysisError.danglingReference("location id: \(id) has a line with nil function")
            }
            lines.append(AnalysisProfile.Line(function: f, line: line.line))
        }
        let address = UInt64(bitPattern: Int64(bitPattern: src.address) &+ (mapping?.offset ?? 0))
        let loc = AnalysisProfile.Location(mapping: mapping?.index, address: address, lines: lines, isFolded: src.isFolded)
        var keyLines: [Int64] = []
        for l in lines {
            keyLines.append(Int64(l.function))
            keyLines.append(l.line)
        }
        let keyAddress = mapping.map { address &- p.mappings[$0.index].start } ?? address
        let key = LocationKey(address: keyAddress, mapping: mapping.map { $0.index } ?? -1,
                              lines: keyLines, isFolded: src.isFolded)
        if let i = locationKeys[key] {
            mappedLocations[id] = i
            return i
        }
        p.locations.append(loc)
        let i = p.locations.count - 1
        locationKeys[key] = i
        mappedLocations[id] = i
        return i
    }
}
