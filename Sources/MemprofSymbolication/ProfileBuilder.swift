import MemprofProfile

/// Collects raw stacks (return addresses, leaf first) with their values and turns them into a
/// symbolized pprof `Profile`.
///
/// - one `Location` per unique address, with one `Line` per frame (innermost first, so
///   inlined calls show as several lines of one location); `Location.address` keeps the
///   address as captured, while the lookup uses `address - 1` for return addresses so it
///   lands on the call instruction, as Go's runtime does;
/// - one `Function` per (name, linker name, file, start line); Swift functions are named
///   compactly (`SwiftCompactName`), with the mangled symbol as `system_name`;
/// - one `Mapping` per loaded module (main executable first) whose `has*` flags say truthfully
///   what every location in it got; then one per module in `replacedModules` (a library
///   unloaded, then another loaded at its addresses): pprof allows overlapping mappings, and
///   one address of two modules is two locations, each naming its own mapping.
///
/// ```swift
/// let builder = ProfileBuilder(symbolizer: try Symbolizer(),
///                              sampleTypes: [ValueType(type: "alloc_space", unit: "bytes")])
/// builder.add(stack: [0x5555_5555_1234, 0x5555_5555_2345], values: [4096])
/// let profile = builder.build()
/// ```
public final class ProfileBuilder {
    public let symbolizer: Symbolizer?
    public var sampleTypes: [ValueType]
    public var periodType: ValueType?
    public var period: Int64
    public var timeNanos: Int64 = 0
    public var durationNanos: Int64 = 0
    public var comments: [String] = []
    public var defaultSampleType = ""
    public var dropFrames = ""
    public var keepFrames = ""
    /// When true the leaf address is also a return address (stacks captured inside an
    /// allocator hook), so it is looked up at `address - 1` too. Default: the leaf is exact.
    public var leafIsReturnAddress = false

    /// False: addresses, mappings and build IDs only, for symbolizing elsewhere
    /// (`ProfileSymbolizer`); the symbolizer then only lists the modules. Default true.
    public var symbolize = true

    /// Frames already resolved for lookup addresses (e.g. while trimming stacks), used
    /// instead of asking the symbolizer again.
    public var resolved: [UInt64: [SymbolizedFrame]] = [:]

    /// Modules that other modules replaced at the same addresses, or that are no longer
    /// loaded, each with a symbolizer of its own (one module each): an address of `add(stack:moduleVersions:)` with version k
    /// is in `replacedModules[k - 1]`; version 0 is the symbolizer's module at that address.
    public var replacedModules: [Symbolizer] = []

    private struct LocationKey: Hashable {
        var address: UInt64
        var version: Int
    }
    private var samples: [Sample] = []
    private var locationIDs: [LocationKey: UInt64] = [:]
    private var addressOrder: [(address: UInt64, isReturn: Bool, version: Int)] = []

    public init(symbolizer: Symbolizer?, sampleTypes: [ValueType], periodType: ValueType? = nil, period: Int64 = 0) {
        self.symbolizer = symbolizer
        self.sampleTypes = sampleTypes
        self.periodType = periodType
        self.period = period
    }

    /// Adds one sample: a stack of addresses (leaf first) and one value per sample type.
    /// `moduleVersions` (empty: all 0) says for each address which module it was in: 0 for
    /// the symbolizer's, k for `replacedModules[k - 1]`.
    public func add(stack: [UInt64], values: [Int64], labels: [String: [String]] = [:],
                    numericLabels: [String: [Int64]] = [:], numericUnits: [String: [String]] = [:],
                    moduleVersions: [Int] = []) {
        var ids: [UInt64] = []
        ids.reserveCapacity(stack.count)
        for (i, address) in stack.enumerated() {
            let version = i < moduleVersions.count && moduleVersions[i] <= replacedModules.count ? moduleVersions[i] : 0
            let key = LocationKey(address: address, version: version)
            if let id = locationIDs[key] {
                ids.append(id)
            } else {
                let id = UInt64(addressOrder.count + 1)
                locationIDs[key] = id
                addressOrder.append((address, i > 0 || leafIsReturnAddress, version))
                ids.append(id)
            }
        }
        samples.append(Sample(locationIDs: ids, values: values, labels: labels,
                              numericLabels: numericLabels, numericUnits: numericUnits))
    }

    /// Adds one sample whose only frame is a named pseudo-function with no address, such as
    /// `[memprof: symbol tables]` for memory that has no allocation stack.
    public func add(frameNamed name: String, values: [Int64]) {
        pseudoFrames.append((name, values))
    }

    private var pseudoFrames: [(name: String, values: [Int64])] = []

    /// Symbolizes every unique address and assembles the profile.
    public func build() -> Profile {
        let current = symbolizer?.modules ?? []
        // Replaced modules after the current ones: version k's mapping, if its file was read.
        var replacedMapping: [Int: Int] = [:]
        var modules = current
        for (k, replaced) in replacedModules.enumerated() {
            guard let module = replaced.modules.first else { continue }
            replacedMapping[k + 1] = modules.count
            modules.append(module)
        }
        var mappings = modules.enumerated().map { i, m in
            Mapping(id: UInt64(i + 1), start: m.start, limit: m.limit, offset: m.fileOffset, file: m.path,
                    buildID: m.buildID)
        }
        // Per mapping: locations seen, and how many had a function / file / line.
        var stats = [(count: Int, functions: Int, files: Int, lines: Int)](repeating: (0, 0, 0, 0), count: modules.count)
        var functionIDs: [FunctionKey: UInt64] = [:]
        var functions: [Function] = []
        var locations: [Location] = []
        locations.reserveCapacity(addressOrder.count)
        func lookupAddress(_ entry: (address: UInt64, isReturn: Bool, version: Int)) -> UInt64 {
            entry.isReturn && entry.address > 0 ? entry.address - 1 : entry.address
        }
        // Every address at once: each module's tables are read once for the whole profile.
        var resolvedReplaced: [Int: [UInt64: [SymbolizedFrame]]] = [:]
        if let symbolizer, symbolize {
            let missing = addressOrder.filter { $0.version == 0 }.map(lookupAddress).filter { resolved[$0] == nil }
            if !missing.isEmpty { resolved.merge(symbolizer.symbolize(missing)) { old, _ in old } }
            for (k, replaced) in replacedModules.enumerated() {
                let addresses = addressOrder.filter { $0.version == k + 1 }.map(lookupAddress)
                if !addresses.isEmpty { resolvedReplaced[k + 1] = replaced.symbolize(addresses) }
            }
        }

        for (n, entry) in addressOrder.enumerated() {
            var location = Location(id: UInt64(n + 1), address: entry.address)
            guard symbolizer != nil else {
                locations.append(location)
                continue
            }
            let mappingIndex = entry.version == 0 ? current.firstIndex { $0.contains(entry.address) }
                : replacedMapping[entry.version]
            if let mappingIndex { location.mappingID = UInt64(mappingIndex + 1) }
            guard symbolize else {
                locations.append(location)
                continue
            }
            let frames = (entry.version == 0 ? resolved : resolvedReplaced[entry.version] ?? [:])[lookupAddress(entry)] ?? []
            for frame in frames {
                let key = FunctionKey(name: frame.function, systemName: frame.mangledName, file: frame.file,
                                      startLine: frame.functionStartLine)
                let id: UInt64
                if let known = functionIDs[key] {
                    id = known
                } else {
                    id = UInt64(functions.count + 1)
                    functionIDs[key] = id
                    functions.append(Function(id: id, name: Self.profileName(frame), systemName: frame.mangledName,
                                              filename: frame.file, startLine: Int64(frame.functionStartLine)))
                }
                location.lines.append(Line(functionID: id, line: Int64(frame.line), column: Int64(frame.column)))
            }
            if let mappingIndex {
                stats[mappingIndex].count += 1
                if !frames.isEmpty && frames.allSatisfy({ !$0.function.isEmpty }) { stats[mappingIndex].functions += 1 }
                if !frames.isEmpty && frames.allSatisfy({ !$0.file.isEmpty }) { stats[mappingIndex].files += 1 }
                if frames.contains(where: { $0.line > 0 }) { stats[mappingIndex].lines += 1 }
            }
            locations.append(location)
        }

        var samples = self.samples
        for (name, values) in pseudoFrames {
            let function = Function(id: UInt64(functions.count + 1), name: name, systemName: name)
            functions.append(function)
            let location = Location(id: UInt64(locations.count + 1), address: 0,
                                    lines: [Line(functionID: function.id, line: 0)])
            locations.append(location)
            samples.append(Sample(locationIDs: [location.id], values: values))
        }

        for i in mappings.indices {
            let s = stats[i]
            guard s.count > 0 else { continue }
            mappings[i].hasFunctions = s.functions == s.count
            mappings[i].hasFilenames = s.files == s.count
            mappings[i].hasLineNumbers = s.lines == s.count
            // Inline frames are complete only where DWARF describes the code.
            let owner = i < current.count ? symbolizer : replacedModules.first { $0.modules.first == modules[i] }
            mappings[i].hasInlineFrames = owner?.capabilities(of: modules[i])?.hasDebugInfo == true
                && s.files == s.count
        }

        return Profile(sampleTypes: sampleTypes, samples: samples, mappings: mappings, locations: locations,
                       functions: functions, dropFrames: dropFrames, keepFrames: keepFrames, timeNanos: timeNanos,
                       durationNanos: durationNanos, periodType: periodType, period: period, comments: comments,
                       defaultSampleType: defaultSampleType)
    }

    /// `Function.name` for a frame: Swift functions get their compact name
    /// (`demo.Cache.insert(_:for:) [specialized]`, see `SwiftCompactName`), which every pprof
    /// consumer shows as it is; the full signature stays derivable from the mangled
    /// `system_name`. Other names (C, C++, names without a mangled symbol) are kept.
    public static func profileName(_ frame: SymbolizedFrame) -> String {
        guard Demangler.isSwiftMangled(frame.mangledName), !frame.function.isEmpty else { return frame.function }
        return SwiftCompactName.compact(frame.function)
    }

    private struct FunctionKey: Hashable {
        var name: String
        var systemName: String
        var file: String
        var startLine: Int
    }
}
