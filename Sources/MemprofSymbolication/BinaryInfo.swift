/// What this module can read from one ELF file: a quick check that a binary is usable for
/// symbolization, and the errors it raises when it is not.
public struct BinaryInfo: Equatable, Sendable {
    public var path: String
    /// GNU build ID as lowercase hex, or empty.
    public var buildID: String
    /// Function and data symbols kept for lookup (`.symtab`, else `.dynsym`).
    public var symbolCount: Int
    /// Compilation units found in the DWARF information (0 without debug info).
    public var compileUnitCount: Int
    /// Path of the separate debug file used, or empty when the DWARF is in the file itself.
    public var debugFile: String
    /// Some debug sections are compressed (`SHF_COMPRESSED`).
    public var hasCompressedDebugSections: Bool

    /// Reads `path` as a 64-bit little-endian ELF file. Throws `SymbolicationError` for files
    /// that are missing, not ELF, of an unsupported kind, or malformed in their headers.
    /// Damage inside debug sections does not throw: those parts are skipped.
    public static func inspect(path: String) throws -> BinaryInfo {
        let elf = try ELFFile(path: path)
        let module = ModuleSymbolizer(elf: elf, originalPath: path)
        let debugElf = module.debugFile ?? elf
        return BinaryInfo(
            path: path, buildID: elf.buildID?.hexString ?? "", symbolCount: module.symbols.usableCount,
            compileUnitCount: module.dwarf?.unitCount ?? 0, debugFile: module.debugFile?.path ?? "",
            hasCompressedDebugSections: debugElf.sections.contains {
                $0.name.hasPrefix(".debug") && $0.flags & ELFSection.flagCompressed != 0
            })
    }
}
