import CMemprofHook

/// Live Swift objects by type: an exact census of everything `swift_allocObject` and
/// `swift_bufferAllocate` make (class instances, `Array`/`Dictionary`/`Set`/`String`
/// storage, boxes, closure contexts), counted from the moment the census was switched on.
///
/// The census is opt-in: start the program with `MEMPROF_TYPES=1` (or `memprof run --types`),
/// or call ``enable()`` first thing in `main`. While it is on, every allocation and free of
/// the process takes the hook's slow path.
///
/// ```swift
/// TypeCensus.enable()
/// ...
/// for type in TypeCensus.read().top(5) { print(type.name, type.liveObjects, type.liveBytes) }
/// ```
public struct TypeCensus: Sendable {
    /// One type's counts.
    public struct Entry: Sendable, Equatable {
        /// The type's name as the Swift runtime spells it (`MyApp.Customer`,
        /// `Swift._ContiguousArrayStorage<MyApp.Order>`), `(closure context or box)`, `(box) T`,
        /// or `<type 0x…>` when the name is not known (a process that ended without naming it).
        public var name: String
        /// The type's metadata address in the counted process.
        public var metadata: UInt64
        public var allocations: UInt64
        public var frees: UInt64
        /// Usable bytes of the objects' blocks (malloc_usable_size).
        public var allocatedBytes: UInt64
        public var freedBytes: UInt64
        /// Objects allocated and not freed.
        public var liveObjects: Int64 { Int64(bitPattern: allocations &- frees) }
        /// Bytes of the live objects.
        public var liveBytes: Int64 { Int64(bitPattern: allocatedBytes &- freedBytes) }
    }

    /// Objects the census could not type (shown, never dropped silently): made by threads
    /// beyond its table limit or with too many types, or allocated a moment ago.
    public struct Losses: Sendable, Equatable {
        public var untypedAllocations: UInt64 = 0
        public var untypedBytes: UInt64 = 0
        public var untypedFrees: UInt64 = 0
        public var untypedFreedBytes: UInt64 = 0
        /// Objects whose type is not read yet (at most one per thread).
        public var pending: UInt64 = 0
        /// Threads that had a table.
        public var threads: Int = 0
    }

    /// Every type counted, by live bytes (largest first).
    public var types: [Entry]
    public var losses: Losses

    public init(types: [Entry], losses: Losses) {
        self.types = types
        self.losses = losses
    }

    /// The `n` types with the most live bytes.
    public func top(_ n: Int) -> ArraySlice<Entry> { types.prefix(n) }

    /// The entry named `name`, if counted.
    public func entry(named name: String) -> Entry? { types.first { $0.name == name } }

    /// True when the census is on in this process.
    public static var isEnabled: Bool { memprof_type_census_enabled() != 0 }

    /// Switches the census on. Call it before starting threads: it refuses (returns false)
    /// when another thread already counts allocations, since that thread's frees would go
    /// unseen. True when the census is on.
    @discardableResult
    public static func enable() -> Bool { memprof_enable_type_census() == 0 }

    /// The census of this process now (empty when it is off). Names are resolved here, off
    /// the hot path: the first read of a new type costs microseconds.
    public static func read() -> TypeCensus {
        TypeCensus(state: nil, size: 0) ?? TypeCensus(types: [], losses: Losses())
    }

    /// The census in a `memprof run` state file (names as its process wrote them at exit),
    /// nil when it holds none.
    init?(state: UnsafeRawPointer?, size: Int) {
        // The buffer itself may add a type (its storage) between the two calls: room to spare,
        // and again if that was not enough.
        var rows: [memprof_type_count] = []
        var c = memprof_type_census_losses()
        var n = memprof_read_type_census(state, size, nil, 0, nil)
        repeat {
            rows = [memprof_type_count](repeating: memprof_type_count(), count: n + 64)
            let capacity = rows.count
            n = rows.withUnsafeMutableBufferPointer { memprof_read_type_census(state, size, $0.baseAddress, capacity, &c) }
        } while n > rows.count
        rows.removeLast(rows.count - n)
        guard n > 0 || c.threads > 0 else { return nil }
        var merged: [UInt64: Entry] = [:]
        for row in rows {
            var e = merged[row.metadata] ?? Entry(name: "", metadata: row.metadata, allocations: 0, frees: 0,
                                                  allocatedBytes: 0, freedBytes: 0)
            e.allocations &+= row.allocations
            e.frees &+= row.frees
            e.allocatedBytes &+= row.allocated_bytes
            e.freedBytes &+= row.freed_bytes
            merged[row.metadata] = e
        }
        var buffer = [CChar](repeating: 0, count: 512)
        // One row per name: the compiler's closure contexts and boxes, for one, have a
        // metadata record each but one name.
        var byName: [String: Entry] = [:]
        for entry in merged.values {
            let length = memprof_type_name(state, size, entry.metadata, &buffer, buffer.count)
            let name = length >= 0 ? Self.readable(String(cString: buffer)) : "<type 0x\(String(entry.metadata, radix: 16))>"
            var e = byName[name] ?? Entry(name: name, metadata: entry.metadata, allocations: 0, frees: 0,
                                          allocatedBytes: 0, freedBytes: 0)
            e.allocations &+= entry.allocations
            e.frees &+= entry.frees
            e.allocatedBytes &+= entry.allocatedBytes
            e.freedBytes &+= entry.freedBytes
            byName[name] = e
        }
        types = byName.values.sorted { ($0.liveBytes, $0.allocatedBytes, $0.name) > ($1.liveBytes, $1.allocatedBytes, $1.name) }
        losses = Losses(untypedAllocations: c.untabled_allocations &+ c.full_allocations,
                        untypedBytes: c.untabled_bytes &+ c.full_bytes,
                        untypedFrees: c.untabled_frees &+ c.full_frees,
                        untypedFreedBytes: c.untabled_freed_bytes &+ c.full_freed_bytes,
                        pending: c.pending, threads: Int(c.threads))
    }

    /// The runtime's name without the addresses it gives private types:
    /// `NIOPosix.(unknown context at $55a6a5131408).PendingStreamWrite` -> `NIOPosix.PendingStreamWrite`.
    static func readable(_ name: String) -> String {
        let marker = "(unknown context at $"
        guard name.contains(marker) else { return name }
        var out = ""
        var rest = Substring(name)
        while let range = rest.firstRange(of: marker) {
            out += rest[..<range.lowerBound]
            rest = rest[range.upperBound...]
            if let close = rest.firstIndex(of: ")") {
                rest = rest[rest.index(after: close)...]
                if rest.first == "." { rest = rest.dropFirst() }
            }
        }
        return out + rest
    }
}
