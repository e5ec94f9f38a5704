#if canImport(Glibc)
import Glibc
#endif

/// A frame before demangling: the name as the linker or DWARF spells it.
struct RawFrame: Equatable {
    var mangledName: String
    var file: String
    var line: Int
    var column: Int
    var isInlined: Bool
    var startLine: Int
}

/// Symbolizes ELF virtual addresses of one file: DWARF for inlined frames and lines, the
/// symbol table for the outermost function name (as llvm-symbolizer does), separate debug
/// files found by build ID or `.gnu_debuglink`.
final class ModuleSymbolizer {
    let elf: ELFFile
    /// The separate debug-info file, when the module's own file has no DWARF.
    let debugFile: ELFFile?
    let symbols: ELFSymbolTable
    let dwarf: DWARFContext?

    /// Loads `path` (or the in-memory vDSO image) and finds its debug information.
    convenience init(module: LoadedModule, isSelf: Bool) throws {
        if module.isVDSO {
            guard isSelf else { throw SymbolicationError.cannotOpen(path: module.path, errno: ENOENT) }
            let top = module.executableRanges.map(\.limit).max() ?? module.limit
            try self.init(elf: ELFFile(file: ProcMaps.vdsoImage(start: module.baseAddress, limit: top)), originalPath: nil)
        } else {
            try self.init(elf: ELFFile(path: module.openPath), originalPath: module.path)
        }
    }

    init(elf: ELFFile, originalPath: String?) {
        self.elf = elf
        var debug: ELFFile?
        if elf.section(named: ".debug_info") == nil {
            debug = ModuleSymbolizer.findDebugFile(for: elf, path: originalPath ?? elf.path)
        }
        debugFile = debug
        // Symbols come from the file itself (`.symtab`, else `.dynsym`), never from the debug
        // file, whose `.symtab` adds internal aliases (`__GI_*`) and split parts (`*.cold`).
        symbols = ELFSymbolTable(elf: elf)
        dwarf = DWARFContext(sections: DWARFSections(elf: debug ?? elf))
    }

    /// Whether its debug sections had to be inflated: such a module is dropped after each
    /// batch (the inflated copies are anonymous memory, not file pages the kernel can drop).
    var isCostlyToKeep: Bool {
        (debugFile ?? elf).sections.contains { $0.name.hasPrefix(".debug") && $0.flags & ELFSection.flagCompressed != 0 }
    }

    /// Drops the file pages read by the last batch from RSS.
    func dropResidentPages() {
        elf.file.dropResidentPages()
        debugFile?.file.dropResidentPages()
    }

    /// Bytes of the files this module keeps mapped.
    var mappedBytes: Int { elf.bytes.count + (debugFile?.bytes.count ?? 0) }

    /// Whether DWARF information (and so inlined frames, files and lines) is available.
    var hasDebugInfo: Bool { dwarf != nil }

    /// Frames at each ELF virtual address of `addresses`, innermost first; an address nothing
    /// is known about maps to an empty array. Reads the symbol table and each DWARF unit met
    /// once for the whole batch.
    func symbolize(_ addresses: [UInt64]) -> [UInt64: [RawFrame]] {
        let sorted = Array(Set(addresses)).sorted()
        let symbolMatches = symbols.lookup(sorted: sorted)
        let dwarfFrames = dwarf?.frames(at: sorted) ?? [:]
        var result: [UInt64: [RawFrame]] = [:]
        result.reserveCapacity(sorted.count)
        for (i, address) in sorted.enumerated() {
            var frames = dwarfFrames[address] ?? []
            if frames.isEmpty { frames = [DWARFFrame()] }
            // As llvm-symbolizer does, the file's own symbol table names the outermost frame.
            let outer = frames.count - 1
            if let symbol = symbolMatches[i], !symbol.name.isEmpty {
                frames[outer].linkageName = symbol.name
                if frames[outer].file == nil && !symbol.file.isEmpty { frames[outer].file = symbol.file }
            }
            let raw = frames.enumerated().map { i, f in
                RawFrame(mangledName: f.linkageName ?? f.name ?? "", file: f.file ?? "", line: f.line, column: f.column,
                         isInlined: i < frames.count - 1, startLine: f.declLine)
            }
            result[address] = raw.count == 1 && raw[0].mangledName.isEmpty && raw[0].file.isEmpty ? [] : raw
        }
        return result
    }

    /// Frames at one ELF virtual address (a batch of one).
    func symbolize(_ address: UInt64) -> [RawFrame] {
        symbolize([address])[address] ?? []
    }

    /// Looks for a separate debug file: `/usr/lib/debug/.build-id/xx/yyyy.debug`, then the
    /// `.gnu_debuglink` name beside the file, in its `.debug/` folder and under
    /// `/usr/lib/debug`. The CRC is not checked; a file without `.debug_info` is ignored.
    static func findDebugFile(for elf: ELFFile, path: String) -> ELFFile? {
        var candidates: [String] = []
        if let id = elf.buildID, id.count >= 2 {
            let hex = id.hexString
            candidates.append("/usr/lib/debug/.build-id/\(hex.prefix(2))/\(hex.dropFirst(2)).debug")
        }
        if let link = elf.debugLink, !link.contains("/") {
            let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
            candidates += ["\(dir)/\(link)", "\(dir)/.debug/\(link)", "/usr/lib/debug\(dir)/\(link)"]
        }
        for candidate in candidates where candidate != path && access(candidate, R_OK) == 0 {
            if let file = try? ELFFile(path: candidate), file.section(named: ".debug_info") != nil {
                return file
            }
        }
        return nil
    }
}
