import MemprofProfile

/// Names the locations of a profile served without symbols (`?symbolize=0`, or
/// `symbolizeProfiles: false`): each mapping's file is opened by its path, checked against
/// the mapping's build ID, and read with the same reader as in-process profiles (demangled
/// names, files and lines, inlined frames). Allocator plumbing is then trimmed from the leaf
/// end of each stack as in-process profiles trim it, so the result reads as if the service
/// had symbolized it.
///
/// ```swift
/// let result = try ProfileSymbolizer.symbolize(Profile.parse(bytes))
/// for warning in result.warnings { print(warning) }   // e.g. a rebuilt binary
/// ```
public enum ProfileSymbolizer {
    /// The comment that marks a memprof profile served with addresses only: every address is
    /// a return address (looked up at `address - 1`).
    public static let unsymbolizedMarker =
        "memprof: unsymbolized (addresses, mappings and build IDs only; every address is a return address): "
        + "name it with `memprof symbolize`"

    /// A symbolized profile and what could not be done.
    public struct Result {
        public var profile: Profile
        /// One line per mapping left unnamed: file missing or unreadable, build ID differs.
        public var warnings: [String]
    }

    /// Whether `profile` is a memprof profile served without symbols.
    public static func needsSymbols(_ profile: Profile) -> Bool {
        profile.comments.contains(unsymbolizedMarker)
    }

    /// Symbolizes `profile` from the binaries its mappings name. `root` is prefixed to every
    /// path (e.g. a copy of a container's file system); empty: the paths as they are.
    public static func symbolize(_ profile: Profile, root: String = "") -> Result {
        var warnings: [String] = []
        var modules: [LoadedModule] = []
        for mapping in profile.mappings {
            var module = LoadedModule(path: mapping.file, start: mapping.start, limit: mapping.limit,
                                      fileOffset: mapping.offset, buildID: mapping.buildID)
            module.openPath = root + mapping.file
            if mapping.file.hasPrefix("/") {
                let maps = "\(String(mapping.start, radix: 16))-\(String(mapping.limit, radix: 16)) r-xp "
                    + "\(String(mapping.offset, radix: 16)) 00:00 1 \(root + mapping.file)"
                if let read = ProcMaps.loadedModules(fromMaps: maps).first {
                    module.loadBias = read.loadBias
                    if read.buildID.isEmpty {
                        warnings.append("\(mapping.file): cannot read it as an ELF file: not symbolized")
                        module.openPath = ""
                    } else if !mapping.buildID.isEmpty && read.buildID != mapping.buildID {
                        warnings.append("\(mapping.file): build ID \(read.buildID) on disk, \(mapping.buildID) in the "
                                        + "profile (rebuilt or replaced): not symbolized")
                        module.openPath = ""
                    }
                } else {
                    warnings.append("\(mapping.file): no such file: not symbolized")
                    module.openPath = ""
                }
            } else {
                module.openPath = ""
            }
            modules.append(module)
        }
        let symbolizer = Symbolizer(modules: modules)
        let addresses = profile.locations.filter { $0.lines.isEmpty && $0.address > 0 }.map { $0.address - 1 }
        var resolved = symbolizer.symbolize(addresses)

        let builder = ProfileBuilder(symbolizer: symbolizer, sampleTypes: profile.sampleTypes,
                                     periodType: profile.periodType, period: profile.period)
        builder.leafIsReturnAddress = true
        builder.timeNanos = profile.timeNanos
        builder.durationNanos = profile.durationNanos
        builder.comments = profile.comments.filter { $0 != unsymbolizedMarker }
        builder.defaultSampleType = profile.defaultSampleType
        builder.dropFrames = profile.dropFrames
        builder.keepFrames = profile.keepFrames
        var locations: [UInt64: Location] = [:]
        for location in profile.locations { locations[location.id] = location }
        var functionNames: [UInt64: String] = [:]
        for function in profile.functions { functionNames[function.id] = function.name }
        // Stacks are trimmed first (trimming may drop inlined runtime frames of a leaf
        // address from `resolved`), then added with the final names.
        var stacks: [[UInt64]?] = []
        var trimmed: [[UInt64]: [UInt64]] = [:]  // samples share stacks: each is trimmed once
        for sample in profile.samples {
            let stack = sample.locationIDs.compactMap { locations[$0] }
            // A pseudo-frame (no address, a name of its own) stays what it is.
            if stack.count == 1, stack[0].address == 0, stack[0].lines.first != nil {
                stacks.append(nil)
                continue
            }
            let addresses = stack.map(\.address)
            if let known = trimmed[addresses] {
                stacks.append(known)
                continue
            }
            let t = AllocatorFrames.trimLeaf(addresses, resolved: &resolved,
                                             keepRuntime: AllocatorFrames.keepRuntimeFramesFromEnvironment) { _ in [] }
            trimmed[addresses] = t
            stacks.append(t)
        }
        builder.resolved = resolved
        for (sample, addresses) in zip(profile.samples, stacks) {
            guard let addresses else {
                let location = sample.locationIDs.first.flatMap { locations[$0] }
                if let line = location?.lines.first, let name = functionNames[line.functionID] {
                    builder.add(frameNamed: name, values: sample.values)
                }
                continue
            }
            builder.add(stack: addresses, values: sample.values, labels: sample.labels,
                        numericLabels: sample.numericLabels, numericUnits: sample.numericUnits)
        }
        return Result(profile: builder.build(), warnings: warnings)
    }
}
