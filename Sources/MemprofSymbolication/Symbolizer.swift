#if canImport(Glibc)
import Glibc
#endif

/// Turns code addresses of a process into functions, files and lines, reading ELF symbol
/// tables and DWARF itself (no external tools), with inlined frames like
/// `llvm-symbolizer --inlining`.
///
/// Modules are opened lazily on the first address that falls in them: their files stay
/// mapped read-only and only the unit headers and address index of their DWARF are kept.
/// Symbol tables, line programs and DIE trees are read for each batch of addresses (ask for
/// all the addresses of a profile at once with `symbolize(_:)` on an array) and dropped after
/// it; resolved addresses are kept in a cache of at most `cacheLimit` bytes. What the
/// symbolizer keeps is `retainedBytes`.
///
/// All methods are thread-safe (one lock); symbolization is meant for profile writing, not
/// for hot paths.
public final class Symbolizer: @unchecked Sendable {
    /// Returns the calling thread's heap balance (bytes allocated minus bytes freed), e.g. from
    /// an allocator hook's exact per-thread counters, so that the symbolizer can measure what
    /// it keeps.
    public typealias HeapMeter = @Sendable () -> Int64

    private let pid: Int32?
    private let isSelf: Bool
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let meter: HeapMeter?
    private var loadedModules: [LoadedModule]
    private var rangeIndex: [(start: UInt64, limit: UInt64, module: Int)] = []
    private var symbolizers: [Int: ModuleSymbolizer] = [:]
    private var moduleBytes: [Int: Int64] = [:]
    private var failed: Set<Int> = []
    private var knownCapabilities: [Int: (hasSymbols: Bool, hasDebugInfo: Bool)] = [:]
    private var cache: [UInt64: [SymbolizedFrame]] = [:]
    private var cacheBytes = 0
    private var limit = 1 << 20
    private var lastReload: Int64 = 0
    private var keepCostly = false

    /// Reads the loaded modules of process `pid` (nil: this process) from `/proc/PID/maps`.
    /// `meter`, when given, measures the heap bytes the symbolizer keeps (`retainedBytes`).
    public init(pid: Int32? = nil, meter: HeapMeter? = nil) throws {
        self.pid = pid
        isSelf = pid == nil || pid == getpid()
        mutex = Symbolizer.makeMutex()
        self.meter = meter
        loadedModules = try ProcMaps.loadedModules(pid: pid)
        rebuildIndex()
    }

    /// Symbolizes against a given module list (e.g. the mappings of a saved profile).
    public init(modules: [LoadedModule], meter: HeapMeter? = nil) {
        pid = -1
        isSelf = false
        mutex = Symbolizer.makeMutex()
        self.meter = meter
        loadedModules = modules
        rebuildIndex()
    }

    /// Most bytes (estimated) of resolved frames kept for later requests; 0 keeps none.
    /// Default 1 MiB (a few thousand addresses). When a batch would pass it, only the
    /// addresses of that batch are kept: a profile's addresses stay cached from one request
    /// to the next, so modules are not read again for them.
    public var cacheLimit: Int {
        get { locked { limit } }
        set { locked { limit = max(0, newValue); if cacheBytes > limit { clearCache() } } }
    }

    /// Keeps modules whose debug sections had to be inflated from one batch to the next
    /// (default false: their inflated copies are anonymous memory, dropped after each batch
    /// in a service). A short-lived tool that symbolizes in several batches sets it.
    public var keepsCostlyModules: Bool {
        get { locked { keepCostly } }
        set { locked { keepCostly = newValue } }
    }

    /// Heap bytes this symbolizer keeps between requests: the state of each opened module
    /// (measured with the meter when one was given, else 0) and the cache of resolved
    /// addresses (estimated). Section contents are not heap: they stay in file mappings.
    public var retainedBytes: Int {
        locked { Int(moduleBytes.values.reduce(0, +)) + cacheBytes }
    }

    /// Bytes of files this symbolizer keeps mapped (read-only, file-backed: the kernel drops
    /// their pages under pressure; only pages read recently are resident).
    public var mappedFileBytes: Int {
        locked { symbolizers.values.reduce(0) { $0 + $1.mappedBytes } }
    }

    private func clearCache() {
        cache = [:]
        cacheBytes = 0
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    private static func makeMutex() -> UnsafeMutablePointer<pthread_mutex_t> {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// The executables and libraries known to this symbolizer, main executable first.
    public var modules: [LoadedModule] { locked { loadedModules } }

    /// Re-reads `/proc/PID/maps` (to see libraries loaded since), keeping parsed modules.
    public func reloadModules() throws {
        guard pid != -1 else { return }
        let fresh = try ProcMaps.loadedModules(pid: pid)
        locked { replaceModules(fresh) }
    }

    private func replaceModules(_ fresh: [LoadedModule]) {
        var kept: [Int: ModuleSymbolizer] = [:]
        for (i, m) in fresh.enumerated() {
            if let old = loadedModules.firstIndex(of: m), let s = symbolizers[old] { kept[i] = s }
        }
        var keptBytes: [Int: Int64] = [:]
        for (i, m) in fresh.enumerated() {
            if let old = loadedModules.firstIndex(of: m), let b = moduleBytes[old] { keptBytes[i] = b }
        }
        var keptCapabilities: [Int: (hasSymbols: Bool, hasDebugInfo: Bool)] = [:]
        for (i, m) in fresh.enumerated() {
            if let old = loadedModules.firstIndex(of: m), let c = knownCapabilities[old] { keptCapabilities[i] = c }
        }
        loadedModules = fresh
        symbolizers = kept
        moduleBytes = keptBytes
        knownCapabilities = keptCapabilities
        failed = []
        clearCache()
        rebuildIndex()
    }

    private func rebuildIndex() {
        rangeIndex = loadedModules.enumerated().flatMap { i, m in m.executableRanges.map { ($0.start, $0.limit, i) } }
        rangeIndex.sort { $0.start < $1.start }
    }

    private func moduleIndex(containing address: UInt64) -> Int? {
        var lo = 0, hi = rangeIndex.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rangeIndex[mid].start <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, address < rangeIndex[lo - 1].limit else { return nil }
        return rangeIndex[lo - 1].module
    }

    /// The module whose executable mappings hold `address`.
    public func module(containing address: UInt64) -> LoadedModule? {
        locked { moduleIndex(containing: address).map { loadedModules[$0] } }
    }

    /// Frames at `address`, innermost first; empty when the address is in no known module or
    /// nothing is known about it. For a return address, pass `address - 1` to get the call.
    /// To resolve many addresses, pass them all at once to `symbolize(_:)` on an array.
    public func symbolize(_ address: UInt64) -> [SymbolizedFrame] {
        symbolize([address])[address] ?? []
    }

    /// Frames at each of `addresses` (runtime addresses), innermost first; every address is a
    /// key of the result, with an empty array when nothing is known about it. Each module's
    /// symbol table and each DWARF unit is read once for the whole batch.
    public func symbolize(_ addresses: [UInt64]) -> [UInt64: [SymbolizedFrame]] {
        locked {
            var result: [UInt64: [SymbolizedFrame]] = [:]
            result.reserveCapacity(addresses.count)
            var byModule: [Int: [UInt64]] = [:]
            var reloaded = false
            for address in addresses where result[address] == nil {
                if let known = cache[address] {
                    result[address] = known
                    continue
                }
                var index = moduleIndex(containing: address)
                if index == nil && isSelf && !reloaded && reloadAllowed() {
                    reloaded = true
                    if let fresh = try? ProcMaps.loadedModules(pid: pid) { replaceModules(fresh) }
                    index = moduleIndex(containing: address)
                }
                result[address] = []
                if let index { byModule[index, default: []].append(address) }
            }
            var demangled: [String: String] = [:]
            for (index, runtime) in byModule {
                guard let symbolizer = moduleSymbolizer(index) else { continue }
                let module = loadedModules[index]
                let raw = symbolizer.symbolize(runtime.map { module.fileAddress(of: $0) })
                for address in runtime {
                    result[address] = (raw[module.fileAddress(of: address)] ?? []).map { frame in
                        SymbolizedFrame(function: demangle(frame.mangledName, &demangled), mangledName: frame.mangledName,
                                        file: frame.file, line: frame.line, column: frame.column,
                                        isInlined: frame.isInlined, functionStartLine: frame.startLine)
                    }
                }
            }
            remember(result)
            // Nothing read for this batch stays resident: file pages go back to the page
            // cache, and inflated debug sections are not kept (their addresses are cached).
            for index in byModule.keys {
                symbolizers[index]?.dropResidentPages()
                if !keepCostly && symbolizers[index]?.isCostlyToKeep == true {
                    symbolizers[index] = nil
                    moduleBytes[index] = nil
                }
            }
            return result
        }
    }

    /// Keeps the frames of a batch for later batches, within the byte limit: when the new
    /// entries do not fit, the entries of other batches are dropped first.
    private func remember(_ result: [UInt64: [SymbolizedFrame]]) {
        guard limit > 0 else { return }
        var added: [(UInt64, Int)] = []
        var addedBytes = 0
        for (address, frames) in result where cache[address] == nil {
            let bytes = Self.estimatedBytes(frames)
            added.append((address, bytes))
            addedBytes += bytes
        }
        if cacheBytes + addedBytes > limit {
            var kept: [UInt64: [SymbolizedFrame]] = [:]
            var keptBytes = 0
            for (address, frames) in cache where result[address] != nil {
                let bytes = Self.estimatedBytes(frames)
                if keptBytes + bytes > limit { break }
                kept[address] = frames
                keptBytes += bytes
            }
            cache = kept
            cacheBytes = keptBytes
        }
        for (address, bytes) in added where cacheBytes + bytes <= limit {
            cache[address] = result[address]
            cacheBytes += bytes
        }
    }

    /// Heap bytes of one cache entry: the dictionary slot, the array, and each string longer
    /// than the 15 bytes Swift stores inline.
    private static func estimatedBytes(_ frames: [SymbolizedFrame]) -> Int {
        func string(_ s: String) -> Int { s.utf8.count > 15 ? 32 + s.utf8.count : 0 }
        var total = 48 + 32
        for f in frames {
            total += MemoryLayout<SymbolizedFrame>.stride + string(f.function) + string(f.mangledName) + string(f.file)
        }
        return total
    }

    /// What is known about a module: symbol names, DWARF lines and inlining. Nil if it cannot
    /// be read.
    public func capabilities(of module: LoadedModule) -> (hasSymbols: Bool, hasDebugInfo: Bool)? {
        locked {
            guard let i = loadedModules.firstIndex(of: module) else { return nil }
            if let known = knownCapabilities[i] { return known }
            guard moduleSymbolizer(i) != nil else { return nil }
            return knownCapabilities[i]
        }
    }

    private func moduleSymbolizer(_ index: Int) -> ModuleSymbolizer? {
        if let s = symbolizers[index] { return s }
        if failed.contains(index) { return nil }
        let before = meter?() ?? 0
        guard let s = try? ModuleSymbolizer(module: loadedModules[index], isSelf: isSelf) else {
            failed.insert(index)
            return nil
        }
        symbolizers[index] = s
        knownCapabilities[index] = (!s.symbols.isEmpty || s.hasDebugInfo, s.hasDebugInfo && s.dwarf?.hasLineTables == true)
        if let meter { moduleBytes[index] = max(0, meter() - before) }
        return s
    }

    private func demangle(_ name: String, _ done: inout [String: String]) -> String {
        if name.isEmpty { return name }
        if let d = done[name] { return d }
        let d = Demangler.demangle(name)
        done[name] = d
        return d
    }

    /// At most one automatic re-read of the maps per second (addresses in new libraries).
    private func reloadAllowed() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let ms = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
        guard ms - lastReload >= 1000 else { return false }
        lastReload = ms
        return true
    }
}

extension Symbolizer {
    /// Symbolizes ELF virtual addresses of one file (as `llvm-symbolizer --obj=FILE` does):
    /// the file is treated as mapped with a load bias of 0.
    public convenience init(file path: String) {
        let everything = ExecutableRange(start: 0, limit: .max, fileOffset: 0)
        self.init(modules: [LoadedModule(path: path, start: 0, limit: .max, fileOffset: 0, baseAddress: 0,
                                         loadBias: 0, executableRanges: [everything])])
    }
}
