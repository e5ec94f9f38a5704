/// Function (and data) symbols of an ELF file, looked up for a batch of addresses at a time.
///
/// Uses `.symtab` when present, else `.dynsym` (stripped libraries). Like llvm-symbolizer,
/// it keeps `STT_FUNC`, `STT_OBJECT`, `STT_GNU_IFUNC` and `STT_NOTYPE` symbols defined in a
/// section; of several symbols at one address it keeps the largest (the later on a tie).
///
/// Nothing is copied to the heap: the table and its strings stay in the file's read-only
/// mapping (pages the kernel may drop), and a lookup scans them twice, holding only a few
/// words per address asked. A profile asks for a few thousand addresses; a sorted copy of
/// every symbol of libFoundation would hold megabytes for the life of the process.
struct ELFSymbolTable {
    /// A symbol found for an address.
    struct Match: Equatable {
        var name: String
        var address: UInt64
        var size: UInt64
        /// For a local symbol, the name of the `STT_FILE` symbol preceding it (llvm-symbolizer
        /// reports it as the file when there is no line information), else empty.
        var file: String
    }

    private var table = UnsafeRawBufferPointer(start: nil, count: 0)
    private var strings = UnsafeRawBufferPointer(start: nil, count: 0)
    private var entrySize = 24
    /// Symbols that name code or data at an address (what lookups can return).
    private(set) var usableCount = 0

    var isEmpty: Bool { usableCount == 0 }

    init() {}

    init(elf: ELFFile) {
        let section = elf.sections.first { $0.type == ELFSection.typeSymtab && $0.size > 0 }
            ?? elf.sections.first { $0.type == ELFSection.typeDynsym && $0.size > 0 }
        guard let section, Int(section.link) < elf.sections.count,
              let data = try? elf.rawContents(section),
              let names = try? elf.rawContents(elf.sections[Int(section.link)]) else { return }
        table = data
        strings = names
        entrySize = section.entrySize >= 24 ? Int(min(section.entrySize, 1 << 16)) : 24
        forEachSymbol { _, _, _, _, _ in usableCount += 1 }
    }

    /// Calls `body(index, address, size, nameOffset, fileNameOffset)` for every usable symbol
    /// in table order; `fileNameOffset` is the `STT_FILE` name before a local symbol, or nil.
    private func forEachSymbol(_ body: (Int, UInt64, UInt64, UInt32, UInt32?) -> Void) {
        let count = table.count / entrySize
        var file: UInt32?
        var i = 1
        while i < count {
            defer { i += 1 }
            var c = ByteCursor(table, offset: i * entrySize)
            guard let name = try? c.u32(), let info = try? c.u8(), (try? c.u8()) != nil,
                  let shndx = try? c.u16(), let value = try? c.u64(), let size = try? c.u64() else { return }
            let type = info & 0xf
            if type == 4 {                                  // STT_FILE
                file = name
                continue
            }
            // STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_GNU_IFUNC 10.
            guard type == 0 || type == 1 || type == 2 || type == 10 else { continue }
            // Undefined (0) and reserved indexes (ABS, COMMON, ...) have no address in a section.
            guard shndx != 0 && (shndx < 0xff00 || shndx == 0xffff) else { continue }
            guard name != 0, Int(name) < strings.count, strings[Int(name)] != 0 else { continue }
            body(i, value, size, name, info >> 4 == 0 ? file : nil)
        }
    }

    /// The symbol covering each address of `sorted` (ascending, no duplicates): the last one
    /// starting at or before it, unless it has a size and ends before the address.
    func lookup(sorted targets: [UInt64]) -> [Match?] {
        let n = targets.count
        guard n > 0, usableCount > 0 else { return [Match?](repeating: nil, count: n) }
        // Pass 1: the highest symbol start at or below each target. A symbol at `a` can be
        // the floor of the targets from the first one >= a on; keep the highest start per
        // such gap, then carry it forward.
        var floor = [UInt64?](repeating: nil, count: n)
        forEachSymbol { _, address, _, _, _ in
            let i = Self.firstIndex(in: targets, notBelow: address)
            if i < n, floor[i].map({ address > $0 }) ?? true { floor[i] = address }
        }
        for i in 1..<max(n, 1) where floor[i - 1] != nil {
            if floor[i].map({ floor[i - 1]! > $0 }) ?? true { floor[i] = floor[i - 1] }
        }
        // Pass 2: of the symbols at a floor, the largest; the later in the table on a tie.
        var chosen: [UInt64: (size: UInt64, name: UInt32, file: UInt32?)] = [:]
        chosen.reserveCapacity(min(n, 4096))
        forEachSymbol { _, address, size, name, file in
            let i = Self.firstIndex(in: targets, notBelow: address)
            guard i < n, floor[i] == address else { return }
            if let old = chosen[address], old.size > size { return }
            chosen[address] = (size, name, file)
        }
        var names: [UInt32: String] = [:]
        func string(_ offset: UInt32) -> String {
            if let known = names[offset] { return known }
            let s = ByteCursor.string(in: strings, at: UInt64(offset)) ?? ""
            names[offset] = s
            return s
        }
        return (0..<n).map { i -> Match? in
            guard let address = floor[i], let e = chosen[address] else { return nil }
            if e.size != 0 && address &+ e.size <= targets[i] { return nil }
            return Match(name: string(e.name), address: address, size: e.size, file: e.file.map(string) ?? "")
        }
    }

    /// The symbol covering one address (a batch of one).
    func lookup(_ address: UInt64) -> Match? {
        lookup(sorted: [address])[0]
    }

    /// Index of the first element of ascending `array` that is >= `value`.
    static func firstIndex(in array: [UInt64], notBelow value: UInt64) -> Int {
        var lo = 0, hi = array.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if array[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
