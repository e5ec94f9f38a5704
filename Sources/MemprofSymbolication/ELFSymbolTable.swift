/// Function (and data) symbols of an ELF file, sorted by address for binary search.
///
/// Uses `.symtab` when present, else `.dynsym` (stripped libraries). Like llvm-symbolizer,
/// it keeps `STT_FUNC`, `STT_OBJECT`, `STT_GNU_IFUNC` and `STT_NOTYPE` symbols defined in a
/// section; of several symbols at one address it keeps the largest (the later on a tie).
/// Names are read from the string table only when looked up.
struct ELFSymbolTable {
    struct Entry {
        var address: UInt64
        var size: UInt64
        var nameOffset: UInt32
        /// For local symbols, the index in `fileSymbols` of the `STT_FILE` symbol before it, else -1.
        var fileIndex: Int32
    }

    /// A symbol found for an address.
    struct Match {
        var name: String
        var address: UInt64
        var size: UInt64
        /// For a local symbol, the name of the `STT_FILE` symbol preceding it (llvm-symbolizer
        /// reports it as the file when there is no line information), else empty.
        var file: String
    }

    private(set) var entries: [Entry] = []
    private var strings = UnsafeRawBufferPointer(start: nil, count: 0)
    private var fileSymbols: [UInt32] = []

    var isEmpty: Bool { entries.isEmpty }

    init() {}

    init(elf: ELFFile) {
        let table = elf.sections.first { $0.type == ELFSection.typeSymtab && $0.size > 0 }
            ?? elf.sections.first { $0.type == ELFSection.typeDynsym && $0.size > 0 }
        guard let table, Int(table.link) < elf.sections.count,
              let data = try? elf.rawContents(table),
              let names = try? elf.rawContents(elf.sections[Int(table.link)]) else { return }
        strings = names
        let entrySize = table.entrySize >= 24 ? Int(min(table.entrySize, 1 << 16)) : 24
        let count = data.count / entrySize
        var raw: [(entry: Entry, order: Int)] = []
        raw.reserveCapacity(count)
        for i in 1..<max(count, 1) {
            var c = ByteCursor(data, offset: i * entrySize)
            guard let name = try? c.u32(), let info = try? c.u8(), (try? c.u8()) != nil,
                  let shndx = try? c.u16(), let value = try? c.u64(), let size = try? c.u64() else { break }
            let type = info & 0xf
            if type == 4 {                                  // STT_FILE
                fileSymbols.append(name)
                continue
            }
            // STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_GNU_IFUNC 10.
            guard type == 0 || type == 1 || type == 2 || type == 10 else { continue }
            // Undefined (0) and reserved indexes (ABS, COMMON, ...) have no address in a section.
            guard shndx != 0 && (shndx < 0xff00 || shndx == 0xffff) else { continue }
            guard name != 0, Int(name) < names.count, names[Int(name)] != 0 else { continue }
            let isLocal = info >> 4 == 0
            let fileIndex = isLocal && !fileSymbols.isEmpty ? Int32(fileSymbols.count - 1) : -1
            raw.append((Entry(address: value, size: size, nameOffset: name, fileIndex: fileIndex), i))
        }
        raw.sort {
            if $0.entry.address != $1.entry.address { return $0.entry.address < $1.entry.address }
            if $0.entry.size != $1.entry.size { return $0.entry.size < $1.entry.size }
            return $0.order < $1.order
        }
        var kept: [Entry] = []
        kept.reserveCapacity(raw.count)
        for (entry, _) in raw {
            if let last = kept.last, last.address == entry.address {
                kept[kept.count - 1] = entry
            } else {
                kept.append(entry)
            }
        }
        entries = kept
    }

    /// The symbol covering `address`: the last one starting at or before it, unless it has a
    /// size and ends before the address.
    func lookup(_ address: UInt64) -> Match? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].address <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let e = entries[lo - 1]
        if e.size != 0 && e.address &+ e.size <= address { return nil }
        let file = e.fileIndex >= 0 ? ByteCursor.string(in: strings, at: UInt64(fileSymbols[Int(e.fileIndex)])) ?? "" : ""
        return Match(name: ByteCursor.string(in: strings, at: UInt64(e.nameOffset)) ?? "", address: e.address,
                     size: e.size, file: file)
    }
}
