extension ProcessMemory {
    /// Memory of one group of mappings: one file, or one kind of anonymous memory.
    public struct Group: Sendable, Equatable {
        /// The kind of memory.
        public var category: Category
        /// The file's path for files (with ` (deleted)` if it was deleted); `[heap]`,
        /// `malloc arenas`, `malloc mmapped blocks`, `thread stacks`, `[stack]`, `anonymous`,
        /// or the mapping's bracketed name otherwise.
        public var name: String
        /// Objects in the group: 64 MiB heaps for `malloc arenas`, stacks for `thread stacks`,
        /// blocks for `malloc mmapped blocks`, mappings otherwise.
        public var count: Int = 0
        /// All mappings of the group.
        public var usage = Usage()
        /// The executable mappings (`r-x`): code.
        public var code = Usage()
        /// The writable, non-executable mappings (`rw-`): data, bss, heap, stacks.
        public var data = Usage()
        /// The rest (`r--`, and `---` guard or alignment gaps): constants, relocation tables.
        public var readOnly = Usage()

        /// An empty group.
        public init(category: Category, name: String) {
            self.category = category
            self.name = name
        }

        mutating func add(_ mapping: Mapping) {
            let usage = mapping.usage
            self.usage.add(usage)
            count += mapping.objects
            if mapping.isExecutable {
                code.add(usage)
            } else if mapping.isWritable {
                data.add(usage)
            } else {
                readOnly.add(usage)
            }
        }
    }

    /// The mappings of `/proc/PID/smaps`, classified, and summed into groups.
    ///
    /// The groups partition the mappings: every mapping is in exactly one group, so the groups'
    /// counters add up exactly to `total`, which is the sum of smaps' lines (`Rss:` and so on).
    /// That total can differ slightly from `VmRSS` of `/proc/PID/status`, which is read from
    /// other counters at another moment. How each mapping is classified (by name, alignment,
    /// protection and flags, and malloc chunk headers) is described on `Category` and in the
    /// source of `SmapsClassifier`; the anonymous rules follow glibc's allocator and 64-bit
    /// Linux and are heuristics.
    public struct Breakdown: Sendable {
        /// Every mapping, in address order, with its `category` set.
        public var mappings: [Mapping]
        /// Groups in this order: malloc heap (`[heap]`, `malloc arenas`), malloc mmapped blocks,
        /// thread stacks, `[stack]`, other anonymous, memprof (the profiler's own), files (largest RSS first), special,
        /// other. Empty groups are left out.
        public var groups: [Group]
        /// Sum of all mappings.
        public var total: Usage
        /// Whether malloc chunk headers could be read, so that `.mallocMmapped` blocks were
        /// told apart from `.anonymous` memory.
        public var readMallocHeaders: Bool

        /// Classifies the text of an smaps file without reading any process memory (large
        /// malloc blocks are then counted as other anonymous memory).
        /// `profilerRanges`: address ranges of the memprof hook's own memory in that process
        /// (`ProcessMemory.ownRanges()` for this one); anonymous mappings they cover entirely
        /// are `.profiler`.
        public init(smaps: String, profilerRanges: [Range<UInt64>] = []) {
            self.init(mappings: ProcessMemory.parseSmaps(smaps), readHeader: nil, profilerRanges: profilerRanges)
        }

        init(mappings: [Mapping], readHeader: SmapsClassifier.HeaderReader?, profilerRanges: [Range<UInt64>] = []) {
            var mappings = mappings
            SmapsClassifier.classify(&mappings, readHeader: readHeader, profilerRanges: profilerRanges)
            self.mappings = mappings
            readMallocHeaders = readHeader != nil
            total = Usage()
            var fixed: [String: Group] = [:]
            var named: [String: Group] = [:]
            for mapping in mappings {
                total.add(mapping.usage)
                let name = Breakdown.groupName(mapping)
                switch mapping.category {
                case .file, .special, .other:
                    let key = "\(mapping.category.rawValue)\u{0}\(name)"
                    named[key, default: Group(category: mapping.category, name: name)].add(mapping)
                default:
                    fixed[name, default: Group(category: mapping.category, name: name)].add(mapping)
                }
            }
            let order: [ProcessMemory.Category: Int] = Dictionary(
                uniqueKeysWithValues: Category.allCases.enumerated().map { ($1, $0) })
            let fixedOrder = ["[heap]", "malloc arenas", "malloc mmapped blocks", "thread stacks", "[stack]", "anonymous",
                              "memprof"]
            groups = fixedOrder.compactMap { fixed[$0] }
            groups += named.values.sorted { a, b in
                if a.category != b.category { return order[a.category]! < order[b.category]! }
                if a.category == .file && a.usage.residentBytes != b.usage.residentBytes {
                    return a.usage.residentBytes > b.usage.residentBytes
                }
                return a.name < b.name
            }
        }

        private static func groupName(_ mapping: Mapping) -> String {
            switch mapping.category {
            case .mallocHeap: return mapping.path == "[heap]" ? "[heap]" : "malloc arenas"
            case .mallocMmapped: return "malloc mmapped blocks"
            case .threadStack: return "thread stacks"
            case .mainStack: return "[stack]"
            case .anonymous: return "anonymous"
            case .profiler: return "memprof"
            case .file: return mapping.isDeleted ? mapping.path + " (deleted)" : mapping.path
            case .special, .other: return mapping.path
            }
        }

        /// Sum of the groups of one category.
        public func usage(of category: Category) -> Usage {
            var usage = Usage()
            for group in groups where group.category == category { usage.add(group.usage) }
            return usage
        }

        /// The groups of one category, in `groups` order.
        public func groups(in category: Category) -> [Group] {
            groups.filter { $0.category == category }
        }

        /// The mapping that contains an address, if any.
        public func mapping(containing address: UInt64) -> Mapping? {
            var low = 0
            var high = mappings.count
            while low < high {
                let middle = (low + high) / 2
                if mappings[middle].end <= address { low = middle + 1 } else { high = middle }
            }
            guard low < mappings.count, mappings[low].start <= address else { return nil }
            return mappings[low]
        }

        /// The mapping that contains a pointer, if any.
        public func mapping(containing pointer: UnsafeRawPointer) -> Mapping? {
            mapping(containing: UInt64(UInt(bitPattern: pointer)))
        }
    }
}
