/// One section header of an ELF file.
struct ELFSection {
    static let typeSymtab: UInt32 = 2
    static let typeNote: UInt32 = 7
    static let typeNoBits: UInt32 = 8
    static let typeDynsym: UInt32 = 11
    static let flagExecutable: UInt64 = 0x4
    static let flagCompressed: UInt64 = 0x800

    var index: Int
    var name: String
    var type: UInt32
    var flags: UInt64
    var address: UInt64
    var offset: UInt64
    var size: UInt64
    var link: UInt32
    var info: UInt32
    var alignment: UInt64
    var entrySize: UInt64
}

/// One program header (segment) of an ELF file.
struct ELFSegment {
    static let typeLoad: UInt32 = 1
    static let typeNote: UInt32 = 4
    static let flagExecute: UInt32 = 1

    var type: UInt32
    var flags: UInt32
    var offset: UInt64
    var virtualAddress: UInt64
    var fileSize: UInt64
    var memorySize: UInt64
    var alignment: UInt64
}

/// A 64-bit little-endian ELF file read through a read-only mapping.
///
/// Only headers are parsed up front; section contents are borrowed from the mapping on
/// demand (compressed debug sections are inflated once and kept). Every offset is
/// bounds-checked against the file, so a truncated or hostile file throws rather than crashes.
final class ELFFile {
    let file: MappedFile
    let fileType: UInt16
    let machine: UInt16
    let sections: [ELFSection]
    let segments: [ELFSegment]
    private var inflated: [Int: OwnedBytes] = [:]

    var path: String { file.path }
    var bytes: UnsafeRawBufferPointer { file.bytes }

    convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    init(file: MappedFile) throws {
        self.file = file
        let bytes = file.bytes
        let path = file.path
        guard bytes.count >= 16,
              bytes[0] == 0x7f, bytes[1] == UInt8(ascii: "E"), bytes[2] == UInt8(ascii: "L"),
              bytes[3] == UInt8(ascii: "F")
        else { throw SymbolicationError.notELF(path: path) }
        guard bytes[4] == 2 else {
            throw SymbolicationError.unsupportedELF(path: path, reason: bytes[4] == 1
                ? "32-bit (ELFCLASS32) files are not supported" : "unknown ELF class \(bytes[4])")
        }
        guard bytes[5] == 1 else {
            throw SymbolicationError.unsupportedELF(path: path, reason: bytes[5] == 2
                ? "big-endian (ELFDATA2MSB) files are not supported" : "unknown data encoding \(bytes[5])")
        }
        guard bytes.count >= 64 else { throw SymbolicationError.malformed("\(path): truncated ELF header") }
        var header = ByteCursor(bytes, offset: 16)
        fileType = try header.u16()
        machine = try header.u16()
        _ = try header.u32()            // e_version
        _ = try header.u64()            // e_entry
        let phoff = try header.u64()
        let shoff = try header.u64()
        _ = try header.u32()            // e_flags
        _ = try header.u16()            // e_ehsize
        let phentsize = try header.u16()
        var phnum = UInt64(try header.u16())
        let shentsize = try header.u16()
        var shnum = UInt64(try header.u16())
        var shstrndx = UInt64(try header.u16())

        // Extended numbering: the real counts live in section header 0.
        if shoff != 0, shentsize >= 64, shnum == 0 || shstrndx == 0xffff || phnum == 0xffff {
            var first = try ByteCursor(bytes, at: shoff)
            try first.skip(32)
            let size0 = try first.u64()
            let link0 = try first.u32()
            let info0 = try first.u32()
            if shnum == 0 { shnum = size0 }
            if shstrndx == 0xffff { shstrndx = UInt64(link0) }
            if phnum == 0xffff { phnum = UInt64(info0) }
        }

        var segments: [ELFSegment] = []
        if phoff != 0 && phnum != 0 {
            guard phentsize >= 56 else { throw SymbolicationError.malformed("\(path): bad e_phentsize \(phentsize)") }
            guard phnum <= 65535 else { throw SymbolicationError.malformed("\(path): too many program headers") }
            let table = try ByteCursor.slice(bytes, at: phoff, count: phnum * UInt64(phentsize))
            for i in 0..<Int(phnum) {
                var c = ByteCursor(table, offset: i * Int(phentsize))
                let type = try c.u32(), flags = try c.u32()
                let offset = try c.u64(), vaddr = try c.u64()
                _ = try c.u64()         // p_paddr
                let filesz = try c.u64(), memsz = try c.u64(), align = try c.u64()
                segments.append(ELFSegment(type: type, flags: flags, offset: offset, virtualAddress: vaddr,
                                           fileSize: filesz, memorySize: memsz, alignment: align))
            }
        }
        self.segments = segments

        var sections: [ELFSection] = []
        if shoff != 0 && shnum != 0 {
            guard shentsize >= 64 else { throw SymbolicationError.malformed("\(path): bad e_shentsize \(shentsize)") }
            guard shnum <= 1 << 20 else { throw SymbolicationError.malformed("\(path): too many sections") }
            let table = try ByteCursor.slice(bytes, at: shoff, count: shnum * UInt64(shentsize))
            var nameOffsets: [UInt64] = []
            for i in 0..<Int(shnum) {
                var c = ByteCursor(table, offset: i * Int(shentsize))
                let nameOffset = UInt64(try c.u32())
                let type = try c.u32(), flags = try c.u64(), addr = try c.u64()
                let offset = try c.u64(), size = try c.u64()
                let link = try c.u32(), info = try c.u32()
                let align = try c.u64(), entsize = try c.u64()
                nameOffsets.append(nameOffset)
                sections.append(ELFSection(index: i, name: "", type: type, flags: flags, address: addr, offset: offset,
                                           size: size, link: link, info: info, alignment: align, entrySize: entsize))
            }
            if shstrndx < shnum, sections[Int(shstrndx)].type != ELFSection.typeNoBits,
               let names = try? ByteCursor.slice(bytes, at: sections[Int(shstrndx)].offset, count: sections[Int(shstrndx)].size) {
                for i in sections.indices {
                    sections[i].name = ByteCursor.string(in: names, at: nameOffsets[i]) ?? ""
                }
            }
        }
        self.sections = sections
    }

    func section(named name: String) -> ELFSection? {
        sections.first { $0.name == name }
    }

    /// The bytes of a section as stored in the file (empty for `SHT_NOBITS`).
    func rawContents(_ section: ELFSection) throws -> UnsafeRawBufferPointer {
        if section.type == ELFSection.typeNoBits { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return try ByteCursor.slice(bytes, at: section.offset, count: section.size)
    }

    /// The bytes of a section, inflated first if it is `SHF_COMPRESSED`.
    func contents(_ section: ELFSection) throws -> UnsafeRawBufferPointer {
        let raw = try rawContents(section)
        guard section.flags & ELFSection.flagCompressed != 0 else { return raw }
        if let done = inflated[section.index] { return done.bytes }
        let owned = try SectionDecompressor.inflate(raw, name: section.name)
        inflated[section.index] = owned
        return owned.bytes
    }

    /// The contents of the named section, or an empty buffer if absent or unreadable.
    func contentsIfPresent(_ name: String) -> UnsafeRawBufferPointer {
        guard let s = section(named: name), let bytes = try? contents(s) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return bytes
    }

    /// The GNU build ID (`NT_GNU_BUILD_ID` note), from `PT_NOTE` segments or `SHT_NOTE` sections.
    var buildID: [UInt8]? {
        var areas: [(UInt64, UInt64, UInt64)] = segments.filter { $0.type == ELFSegment.typeNote }
            .map { ($0.offset, $0.fileSize, $0.alignment) }
        if areas.isEmpty {
            areas = sections.filter { $0.type == ELFSection.typeNote }.map { ($0.offset, $0.size, $0.alignment) }
        }
        for (offset, size, align) in areas {
            guard let area = try? ByteCursor.slice(bytes, at: offset, count: size) else { continue }
            if let id = ELFFile.findBuildID(inNotes: area, alignment: align == 8 ? 8 : 4) { return id }
        }
        return nil
    }

    static func findBuildID(inNotes area: UnsafeRawBufferPointer, alignment: Int) -> [UInt8]? {
        var c = ByteCursor(area)
        func pad(_ n: UInt64) -> UInt64 { (n + UInt64(alignment) - 1) & ~UInt64(alignment - 1) }
        while c.remaining >= 12 {
            guard let namesz = try? c.u32(), let descsz = try? c.u32(), let type = try? c.u32() else { return nil }
            let nameStart = c.offset
            guard (try? c.skip(pad(UInt64(namesz)))) != nil else { return nil }
            let descStart = c.offset
            guard (try? c.skip(pad(UInt64(descsz)))) != nil else { return nil }
            if type == 3, namesz == 4,
               area[nameStart] == UInt8(ascii: "G"), area[nameStart + 1] == UInt8(ascii: "N"),
               area[nameStart + 2] == UInt8(ascii: "U"), area[nameStart + 3] == 0, descsz > 0 {
                return Array(area[descStart..<(descStart + Int(descsz))])
            }
        }
        return nil
    }

    /// The file name in `.gnu_debuglink`, naming a separate debug-info file.
    var debugLink: String? {
        guard let s = section(named: ".gnu_debuglink"), let data = try? rawContents(s) else { return nil }
        return ByteCursor.string(in: data, at: 0).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The load bias (runtime address minus ELF virtual address) of a mapping that placed
    /// file offset `fileOffset` at runtime address `start`, from the `PT_LOAD` holding it.
    func loadBias(mappingStart start: UInt64, fileOffset: UInt64) -> UInt64? {
        let loads = segments.filter { $0.type == ELFSegment.typeLoad }
        let pageMask: UInt64 = 0xfff
        for seg in loads where fileOffset >= (seg.offset & ~pageMask) && fileOffset < seg.offset &+ max(seg.fileSize, 1) {
            // fileOffset maps to vaddr = p_vaddr + (fileOffset - p_offset) (wrapping when below p_offset).
            let vaddr = seg.virtualAddress &+ fileOffset &- seg.offset
            return start &- vaddr
        }
        return nil
    }
}
