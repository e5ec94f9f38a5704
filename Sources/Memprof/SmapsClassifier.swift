/// Sorts smaps mappings into `ProcessMemory.Category`s. The rules, in order:
///
/// 1. A path starting with `/` is a file. `[heap]` is the malloc main arena, `[stack]` the main
///    stack, `[stack:TID]` (kernels before 4.5) a thread stack; `[vdso]`, `[vvar...]`,
///    `[vsyscall]`, `[vectors]`, `[sigpage]` are special. glibc 2.39+ with the tunable
///    `glibc.mem.decorate_maps=1` names its mappings (`[anon: glibc: malloc arena]`,
///    `[anon: glibc: malloc]`, `[anon: glibc: pthread stack: TID]`): those names are trusted.
///    Other names that are not anonymous memory are "other".
/// 2. **malloc arena heaps.** glibc (64-bit) reserves each non-main heap as exactly
///    `HEAP_MAX_SIZE` = 64 MiB at a 64 MiB-aligned address with `MAP_NORESERVE`, and makes its
///    used front `rw-p`, leaving the rest `---p`. So: an anonymous `rw-p` mapping starting on a
///    64 MiB boundary whose `VmFlags` contain `nr`; when the kernel prints no `VmFlags`, one
///    whose size is a multiple of 64 MiB or that is followed by a `---p` part ending on a
///    64 MiB boundary. The adjacent `---p` part after it belongs to the same heap.
///    (The `heap_info` header at the start would prove it, but it is only readable in-process.)
/// 3. **Thread stacks.** glibc maps a thread's stack and its guard together and makes the lowest
///    page(s) `---p`; the stack is the anonymous `rw-p` mapping directly above an anonymous
///    `---p` mapping of at most 1 MiB that is not part of a malloc heap.
/// 4. **Large malloc blocks.** A block malloc served by mmap starts on a page with a glibc
///    chunk header: `prev_size` 0 and a size that is a multiple of 4 KiB with only the
///    `IS_MMAPPED` flag (2) set. When headers can be read (`/proc/PID/mem`), an anonymous
///    `rw-p` mapping exactly tiled by such chunks (adjacent blocks merge into one mapping) is
///    a malloc block; without header reads these stay "other anonymous".
/// 5. Any other anonymous memory is "other anonymous".
///
/// Before rules 2-5, an anonymous mapping entirely inside the address ranges the memprof hook
/// recorded as its own memory (`profilerRanges`) is the profiler's. The hook maps its tables
/// `MAP_NORESERVE`, so the kernel does not merge them with the program's anonymous mappings.
enum SmapsClassifier {
    /// glibc's `HEAP_MAX_SIZE` on 64-bit: `2 * DEFAULT_MMAP_THRESHOLD_MAX` = 64 MiB.
    static let heapMaxSize: UInt64 = 64 << 20
    /// Largest `---p` region taken for a thread-stack guard.
    static let maxGuardSize = 1 << 20
    /// Most chunks walked in one mapping when checking it is made of malloc blocks.
    static let maxChunksPerMapping = 4096

    /// Reads the two words at an address (`prev_size`, `size` of a chunk header), or nil.
    typealias HeaderReader = (_ address: UInt64) -> (UInt64, UInt64)?

    /// Sets `category` and `objects` of every mapping. Mappings must be in address order, as
    /// smaps lists them.
    static func classify(_ mappings: inout [ProcessMemory.Mapping], readHeader: HeaderReader?,
                         profilerRanges: [Range<UInt64>] = []) {
        let own = merged(profilerRanges)
        for index in mappings.indices {
            let mapping = mappings[index]
            if mapping.path.isEmpty, covers(own, mapping.start..<mapping.end) {
                mappings[index].category = .profiler
                mappings[index].objects = 1
                continue
            }
            let (category, objects) = categorize(mappings, index, readHeader: readHeader)
            mappings[index].category = category
            mappings[index].objects = objects
            // The guard below a thread stack was provisionally "other anonymous".
            if category == .threadStack, index > 0, isGuard(mappings[index - 1], below: mappings[index]) {
                mappings[index - 1].category = .threadStack
                mappings[index - 1].objects = 0
            }
        }
        if let readHeader { splitPartlyTiled(&mappings, readHeader) }
    }

    /// The kernel merges malloc's large blocks with any adjacent anonymous mapping of the same
    /// protection (another library's mmap, a small block of the program's own), so a mapping
    /// can hold a run of chunks and something else. Each "other anonymous" mapping with such a
    /// run is split in two or three parts at the run's ends; smaps counts pages per mapping
    /// only, so the parts share its counters in proportion to their sizes.
    static func splitPartlyTiled(_ mappings: inout [ProcessMemory.Mapping], _ readHeader: HeaderReader) {
        var index = mappings.count - 1
        while index >= 0 {
            let mapping = mappings[index]
            if mapping.category == .anonymous, mapping.permissions == "rw-p",
               let run = mmappedChunkRun(mapping, readHeader) {
                var parts: [ProcessMemory.Mapping] = []
                for (range, category, objects) in [(mapping.start..<run.range.lowerBound, ProcessMemory.Category.anonymous, 1),
                                                   (run.range, .mallocMmapped, run.chunks),
                                                   (run.range.upperBound..<mapping.end, .anonymous, 1)] where !range.isEmpty {
                    var part = mapping.share(range)
                    part.category = category
                    part.objects = objects
                    part.entries = parts.isEmpty ? 1 : 0
                    parts.append(part)
                }
                // Rounding left to the largest part: the parts add up to the mapping exactly.
                let largest = parts.indices.max { parts[$0].virtualBytes < parts[$1].virtualBytes }!
                parts[largest].addRemainder(of: mapping, split: parts)
                mappings.replaceSubrange(index...index, with: parts)
            }
            index -= 1
        }
    }

    /// Pages looked at from a mapping's start for the first chunk of a run.
    static let maxPagesBeforeRun = 64

    /// The longest run of glibc mmapped chunks in a mapping that does not consist of them
    /// alone: from its start, or from one of its first `maxPagesBeforeRun` pages to its end.
    static func mmappedChunkRun(_ mapping: ProcessMemory.Mapping, _ readHeader: HeaderReader)
        -> (range: Range<UInt64>, chunks: Int)? {
        let prefix = chunkRun(mapping, from: mapping.start, readHeader)
        if prefix.chunks > 0 { return (mapping.start..<prefix.end, prefix.chunks) }
        // A run after other pages holds a block of at least malloc's smallest mmap threshold
        // (128 KiB): smaller mappings cost no more reads.
        guard mapping.virtualBytes > 128 << 10 else { return nil }
        var page = mapping.start + 4096
        for _ in 1..<maxPagesBeforeRun where page < mapping.end {
            let suffix = chunkRun(mapping, from: page, readHeader)
            if suffix.chunks > 0 && suffix.end == mapping.end { return (page..<mapping.end, suffix.chunks) }
            page += 4096
        }
        return nil
    }

    private static func categorize(
        _ mappings: [ProcessMemory.Mapping], _ index: Int, readHeader: HeaderReader?
    ) -> (ProcessMemory.Category, Int) {
        let mapping = mappings[index]
        let path = mapping.path
        if path.hasPrefix("/") { return (.file, 1) }
        if !mapping.isAnonymous {
            if path == "[heap]" { return (.mallocHeap, 1) }
            if path == "[stack]" { return (.mainStack, 1) }
            if path.hasPrefix("[stack:") { return (.threadStack, mapping.isWritable ? 1 : 0) }
            let special = ["[vdso]", "[vsyscall]", "[vectors]", "[sigpage]"]
            if special.contains(path) || path.hasPrefix("[vvar") { return (.special, 1) }
            return (.other, 1)
        }
        if let named = glibcName(path) {
            if named == "malloc arena" { return (.mallocHeap, mapping.isWritable ? heapCount(mapping) : 0) }
            if named == "malloc" { return (.mallocMmapped, 1) }
            if named.hasPrefix("pthread stack") { return (.threadStack, mapping.isWritable ? 1 : 0) }
        }
        let previous = index > 0 ? mappings[index - 1] : nil
        let following = index + 1 < mappings.count ? mappings[index + 1] : nil
        if isArenaHeap(mapping, followedBy: following) { return (.mallocHeap, heapCount(mapping)) }
        if let previous, previous.category == .mallocHeap, previous.path != "[heap]",
           isArenaTail(mapping, after: previous) {
            return (.mallocHeap, 0)
        }
        if mapping.permissions == "rw-p", let previous, previous.category != .mallocHeap,
           isGuard(previous, below: mapping) {
            return (.threadStack, 1)
        }
        if mapping.permissions == "rw-p", let readHeader, let chunks = mmappedChunks(mapping, readHeader) {
            return (.mallocMmapped, chunks)
        }
        return (.anonymous, 1)
    }

    /// Ranges sorted by start, overlapping and adjacent ones joined.
    static func merged(_ ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        var result: [Range<UInt64>] = []
        for range in ranges.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// Whether `range` lies inside one of the merged, sorted `ranges`.
    static func covers(_ ranges: [Range<UInt64>], _ range: Range<UInt64>) -> Bool {
        guard !ranges.isEmpty, !range.isEmpty else { return false }
        var low = 0
        var high = ranges.count
        while low < high {  // the first range ending after range's start
            let middle = (low + high) / 2
            if ranges[middle].upperBound <= range.lowerBound { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].lowerBound <= range.lowerBound
            && range.upperBound <= ranges[low].upperBound
    }

    /// `"malloc arena"` for `[anon: glibc: malloc arena]`, else nil.
    private static func glibcName(_ path: String) -> Substring? {
        guard path.hasPrefix("[anon:"), path.hasSuffix("]") else { return nil }
        let inner = path.dropFirst("[anon:".count).dropLast().drop(while: { $0 == " " })
        guard inner.hasPrefix("glibc: ") else { return nil }
        return inner.dropFirst("glibc: ".count)
    }

    /// Number of 64 MiB heaps a mapping spans (adjacent full heaps can merge into one).
    private static func heapCount(_ mapping: ProcessMemory.Mapping) -> Int {
        Int((mapping.end - mapping.start + heapMaxSize - 1) / heapMaxSize)
    }

    static func isArenaHeap(_ mapping: ProcessMemory.Mapping, followedBy next: ProcessMemory.Mapping?) -> Bool {
        guard mapping.path.isEmpty, mapping.permissions == "rw-p",
              mapping.start % heapMaxSize == 0 else { return false }
        if !mapping.flags.isEmpty { return mapping.flags.contains("nr") }
        if (mapping.end - mapping.start) % heapMaxSize == 0 { return true }
        guard let next, next.start == mapping.end, next.path.isEmpty,
              next.permissions == "---p" else { return false }
        return next.end % heapMaxSize == 0
    }

    private static func isArenaTail(_ mapping: ProcessMemory.Mapping, after heap: ProcessMemory.Mapping) -> Bool {
        guard mapping.path.isEmpty, mapping.permissions == "---p", mapping.start == heap.end else { return false }
        if !mapping.flags.isEmpty { return mapping.flags.contains("nr") }
        return mapping.end % heapMaxSize == 0
    }

    private static func isGuard(_ guardPage: ProcessMemory.Mapping, below stack: ProcessMemory.Mapping) -> Bool {
        guardPage.isAnonymous && guardPage.permissions == "---p" && guardPage.end == stack.start
            && guardPage.virtualBytes <= maxGuardSize
    }

    /// Number of glibc mmapped chunks that exactly tile the mapping, or nil.
    static func mmappedChunks(_ mapping: ProcessMemory.Mapping, _ readHeader: HeaderReader) -> Int? {
        let run = chunkRun(mapping, from: mapping.start, readHeader)
        return run.chunks > 0 && run.end == mapping.end ? run.chunks : nil
    }

    /// The chunks that follow one another from `start` (each header read there: `prev_size`
    /// 0, a page-multiple size with only `IS_MMAPPED` set, inside the mapping), at most
    /// `maxChunksPerMapping`: where they end and how many there are.
    static func chunkRun(_ mapping: ProcessMemory.Mapping, from start: UInt64, _ readHeader: HeaderReader)
        -> (end: UInt64, chunks: Int) {
        var address = start, chunks = 0
        while address < mapping.end, chunks < maxChunksPerMapping, let (prevSize, sizeField) = readHeader(address),
              prevSize == 0, sizeField & 7 == 2 {
            let size = sizeField & ~7
            guard size > 0, size % 4096 == 0, size <= mapping.end - address else { break }
            address += size
            chunks += 1
        }
        return (address, chunks)
    }
}

extension ProcessMemory.Mapping {
    /// smaps' page counters of a mapping, in bytes.
    fileprivate static let counters: [WritableKeyPath<Self, Int>] = [
        \.residentBytes, \.proportionalBytes, \.sharedCleanBytes, \.sharedDirtyBytes, \.privateCleanBytes,
        \.privateDirtyBytes, \.anonymousBytes, \.swapBytes,
    ]

    /// The part `range` of this mapping, with each counter in proportion to its size, in
    /// whole pages.
    fileprivate func share(_ range: Range<UInt64>) -> Self {
        var part = self
        part.start = range.lowerBound
        part.end = range.upperBound
        let fraction = Double(part.virtualBytes) / Double(max(virtualBytes, 1))
        for counter in Self.counters { part[keyPath: counter] = Int(Double(self[keyPath: counter]) * fraction) / 4096 * 4096 }
        return part
    }

    /// Adds what the parts of `whole` left out by rounding, so that they add up to it.
    fileprivate mutating func addRemainder(of whole: Self, split parts: [Self]) {
        for counter in Self.counters { self[keyPath: counter] += whole[keyPath: counter] - parts.reduce(0) { $0 + $1[keyPath: counter] } }
    }
}
