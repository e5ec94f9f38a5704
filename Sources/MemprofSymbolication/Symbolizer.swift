#if canImport(Glibc)
import Glibc
#endif

/// Turns code addresses of a process into functions, files and lines, reading ELF symbol
/// tables and DWARF itself (no external tools), with inlined frames like
/// `llvm-symbolizer --inlining`.
///
/// Modules are parsed lazily on the first address that falls in them, then cached.
/// All methods are thread-safe (one lock); symbolization is meant for profile writing, not
/// for hot paths.
public final class Symbolizer: @unchecked Sendable {
    private let pid: Int32?
    private let isSelf: Bool
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var loadedModules: [LoadedModule]
    private var rangeIndex: [(start: UInt64, limit: UInt64, module: Int)] = []
    private var symbolizers: [Int: ModuleSymbolizer] = [:]
    private var failed: Set<Int> = []
    private var demangled: [String: String] = [:]
    private var lastReload: Int64 = 0

    /// Reads the loaded modules of process `pid` (nil: this process) from `/proc/PID/maps`.
    public init(pid: Int32? = nil) throws {
        self.pid = pid
        isSelf = pid == nil || pid == getpid()
        mutex = Symbolizer.makeMutex()
        loadedModules = try ProcMaps.loadedModules(pid: pid)
        rebuildIndex()
    }

    /// Symbolizes against a given module list (e.g. the mappings of a saved profile).
    public init(modules: [LoadedModule]) {
        pid = -1
        isSelf = false
        mutex = Symbolizer.makeMutex()
        loadedModules = modules
        rebuildIndex()
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
        loadedModules = fresh
        symbolizers = kept
        failed = []
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
    public func symbolize(_ address: UInt64) -> [SymbolizedFrame] {
        locked {
            var index = moduleIndex(containing: address)
            if index == nil && isSelf && reloadAllowed() {
                if let fresh = try? ProcMaps.loadedModules(pid: pid) { replaceModules(fresh) }
                index = moduleIndex(containing: address)
            }
            guard let index, let symbolizer = moduleSymbolizer(index) else { return [] }
            let raw = symbolizer.symbolize(loadedModules[index].fileAddress(of: address))
            return raw.map { frame in
                SymbolizedFrame(function: demangle(frame.mangledName), mangledName: frame.mangledName, file: frame.file,
                                line: frame.line, column: frame.column, isInlined: frame.isInlined,
                                functionStartLine: frame.startLine)
            }
        }
    }

    /// What is known about a module: symbol names, DWARF lines and inlining. Nil if it cannot
    /// be read.
    public func capabilities(of module: LoadedModule) -> (hasSymbols: Bool, hasDebugInfo: Bool)? {
        locked {
            guard let i = loadedModules.firstIndex(of: module), let s = moduleSymbolizer(i) else { return nil }
            return (!s.symbols.isEmpty || s.hasDebugInfo, s.hasDebugInfo && s.dwarf?.hasLineTables == true)
        }
    }

    private func moduleSymbolizer(_ index: Int) -> ModuleSymbolizer? {
        if let s = symbolizers[index] { return s }
        if failed.contains(index) { return nil }
        guard let s = try? ModuleSymbolizer(module: loadedModules[index], isSelf: isSelf) else {
            failed.insert(index)
            return nil
        }
        symbolizers[index] = s
        return s
    }

    private func demangle(_ name: String) -> String {
        if name.isEmpty { return name }
        if let d = demangled[name] { return d }
        let d = Demangler.demangle(name)
        demangled[name] = d
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
