/// A `.debug_line` program (DWARF 2–5) run for a set of addresses: its file names, and for
/// each address the row llvm-symbolizer would pick.
///
/// The program is run once, keeping only the rows of the sequence being decoded and one row
/// per address asked; the whole address → line matrix of a unit (a Swift module is one unit:
/// hundreds of thousands of rows) is never stored.
struct DWARFLineTable {
    struct FileEntry {
        var name: String
        var directoryIndex: UInt64
    }

    struct Row {
        var address: UInt64
        var file: UInt32
        var line: UInt32
        var column: UInt16
    }

    struct Sequence {
        var low: UInt64
        var high: UInt64
        /// The sequence's number in program order.
        var number: Int
    }

    private(set) var version: UInt16 = 0
    private(set) var directories: [String] = []
    private(set) var files: [FileEntry] = []
    /// The addresses asked, ascending.
    let targets: [UInt64]
    /// For each target: the row found in the best covering sequence so far, and that
    /// sequence's end and number.
    private var found: [(row: Row, high: UInt64, sequence: Int)?]
    /// Every complete sequence: its code range and number, to check each target's winner.
    private var sequences: [Sequence] = []
    /// The rows of the sequence being decoded.
    private var rows: [Row] = []

    init(sections: DWARFSections, offset: UInt64, unit: DWARFUnit, targets: [UInt64]) throws {
        self.targets = targets
        found = .init(repeating: nil, count: targets.count)
        var c = try ByteCursor(sections.line, at: offset)
        var length = UInt64(try c.u32())
        var is64 = false
        if length == 0xffff_ffff {
            is64 = true
            length = try c.u64()
        }
        guard length <= UInt64(c.remaining) else { throw SymbolicationError.malformed("line table past end") }
        let end = c.offset + Int(length)
        c = ByteCursor(UnsafeRawBufferPointer(rebasing: sections.line[0..<end]), offset: c.offset)
        version = try c.u16()
        guard version >= 2 && version <= 5 else { throw SymbolicationError.malformed("line table version \(version)") }
        var addressSize = unit.addressSize
        if version >= 5 {
            addressSize = Int(try c.u8())
            _ = try c.u8()              // segment selector size
        }
        let headerLength = try c.offsetValue(is64: is64)
        let programStart = c.offset
        guard headerLength <= UInt64(c.remaining) else { throw SymbolicationError.malformed("line header past end") }
        let minInstLength = UInt64(try c.u8())
        if version >= 4 { _ = try c.u8() }       // maximum_operations_per_instruction
        let defaultIsStmt = try c.u8()
        _ = defaultIsStmt
        let lineBase = Int8(bitPattern: try c.u8())
        let lineRange = try c.u8()
        let opcodeBase = try c.u8()
        guard lineRange != 0, opcodeBase != 0 else { throw SymbolicationError.malformed("line_range or opcode_base is 0") }
        var opcodeLengths: [UInt8] = []
        for _ in 1..<Int(opcodeBase) { opcodeLengths.append(try c.u8()) }

        if version >= 5 {
            directories = try Self.entries(&c, sections, unit, addressSize, is64).map(\.name)
            files = try Self.entries(&c, sections, unit, addressSize, is64)
        } else {
            while true {
                let dir = try c.cString()
                if dir.isEmpty { break }
                directories.append(dir)
            }
            while true {
                let name = try c.cString()
                if name.isEmpty { break }
                let dir = try c.uleb()
                _ = try c.uleb()
                _ = try c.uleb()
                files.append(FileEntry(name: name, directoryIndex: dir))
            }
        }
        c.offset = programStart + Int(headerLength)
        try runProgram(&c, minInstLength: minInstLength, lineBase: Int64(lineBase), lineRange: UInt64(lineRange),
                       opcodeBase: opcodeBase, opcodeLengths: opcodeLengths)
        rows = []
        // As llvm: the sequence that ends first after an address (the earlier on a tie) is
        // the only one looked in.
        sequences.sort { $0.high != $1.high ? $0.high < $1.high : $0.number < $1.number }
    }

    /// DWARF 5 directory or file entries, described by (content type, form) pairs.
    private static func entries(_ c: inout ByteCursor, _ sections: DWARFSections, _ unit: DWARFUnit,
                                _ addressSize: Int, _ is64: Bool) throws -> [FileEntry] {
        let formatCount = Int(try c.u8())
        var format: [(UInt64, UInt64)] = []
        for _ in 0..<formatCount { format.append((try c.uleb(), try c.uleb())) }
        let count = try c.uleb()
        // Each entry takes at least one byte unless the format is empty.
        guard count <= (format.isEmpty ? 65536 : UInt64(c.remaining)) else {
            throw SymbolicationError.malformed("line table entry count \(count)")
        }
        var result: [FileEntry] = []
        var i: UInt64 = 0
        while i < count {
            var entry = FileEntry(name: "", directoryIndex: 0)
            for (type, form) in format {
                if form == DW.Form.string {
                    let s = try c.cString()
                    if type == 1 { entry.name = s }
                    continue
                }
                let value = try DWARFForm.read(form, implicitConst: 0, cursor: &c, addressSize: addressSize,
                                               is64: is64, version: 5)
                switch type {
                case 1: entry.name = unit.string(value, sections) ?? ""     // DW_LNCT_path
                case 2: entry.directoryIndex = value.unsigned ?? 0           // DW_LNCT_directory_index
                default: break
                }
            }
            result.append(entry)
            i += 1
        }
        return result
    }

    private mutating func runProgram(_ c: inout ByteCursor, minInstLength: UInt64, lineBase: Int64, lineRange: UInt64,
                                     opcodeBase: UInt8, opcodeLengths: [UInt8]) throws {
        var address: UInt64 = 0, file: UInt32 = 1, line: UInt32 = 1, column: UInt16 = 0
        var sequenceStart = rows.count
        var sequenceNumber = 0
        func emit() { rows.append(Row(address: address, file: file, line: line, column: column)) }
        func reset() { address = 0; file = 1; line = 1; column = 0 }
        while !c.isAtEnd {
            let opcode = try c.u8()
            if opcode >= opcodeBase {
                let adjusted = UInt64(opcode - opcodeBase)
                address = address &+ (adjusted / lineRange) &* minInstLength
                line = line &+ UInt32(truncatingIfNeeded: lineBase + Int64(adjusted % lineRange))
                emit()
                continue
            }
            switch opcode {
            case 0:
                let length = try c.uleb()
                guard length > 0, length <= UInt64(c.remaining) else { throw SymbolicationError.malformed("extended opcode") }
                let next = c.offset + Int(length)
                let sub = try c.u8()
                switch sub {
                case 1:                                     // end_sequence
                    emit()
                    if rows.count - sequenceStart >= 2 {
                        let low = rows[sequenceStart..<(rows.count - 1)].lazy.map(\.address).min() ?? address
                        if low < address {
                            sequences.append(Sequence(low: low, high: address, number: sequenceNumber))
                            record(sequence: sequenceNumber, low: low, high: address)
                            sequenceNumber += 1
                        }
                    }
                    rows.removeAll(keepingCapacity: rows.capacity <= 4096)
                    sequenceStart = rows.count
                    reset()
                case 2:                                     // set_address
                    let size = Int(length) - 1
                    if [1, 2, 4, 8].contains(size) { address = try c.unsigned(size: size) }
                case 3:                                     // define_file (DWARF 2–4)
                    let name = try c.cString()
                    files.append(FileEntry(name: name, directoryIndex: try c.uleb()))
                default: break                              // set_discriminator and vendor opcodes
                }
                c.offset = next
            case 1: emit()                                  // copy
            case 2: address = address &+ (try c.uleb()) &* minInstLength
            case 3: line = line &+ UInt32(truncatingIfNeeded: try c.sleb())
            case 4: file = UInt32(truncatingIfNeeded: try c.uleb())
            case 5: column = UInt16(truncatingIfNeeded: try c.uleb())
            case 6, 7, 10, 11: break                        // negate_stmt, basic_block, prologue/epilogue
            case 8: address = address &+ ((255 - UInt64(opcodeBase)) / lineRange) &* minInstLength
            case 9: address = address &+ UInt64(try c.u16())
            case 12: _ = try c.uleb()                       // set_isa
            default:
                let argc = Int(opcodeLengths[Int(opcode) - 1])
                for _ in 0..<argc { _ = try c.uleb() }
            }
        }
    }

    /// Notes the row of the just-decoded sequence (`rows`) for each target in `[low, high)`
    /// when this sequence ends before the best one seen for it.
    private mutating func record(sequence: Int, low: UInt64, high: UInt64) {
        var t = ELFSymbolTable.firstIndex(in: targets, notBelow: low)
        while t < targets.count && targets[t] < high {
            defer { t += 1 }
            if let best = found[t], best.high <= high { continue }
            // upper_bound over rows [first + 1, end - 1), minus one.
            var a = 1, b = rows.count - 1
            while a < b {
                let mid = (a + b) / 2
                if rows[mid].address <= targets[t] { a = mid + 1 } else { b = mid }
            }
            found[t] = (rows[a - 1], high, sequence)
        }
    }

    /// The row covering target number `index`: the last row at or before it within the
    /// sequence that ends first after it, if that sequence starts at or before it.
    func row(forTarget index: Int) -> Row? {
        guard index < targets.count, let best = found[index] else { return nil }
        let address = targets[index]
        var lo = 0, hi = sequences.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sequences[mid].high <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo < sequences.count, sequences[lo].number == best.sequence else { return nil }
        return best.row
    }

    /// The absolute path of file `index`, joined as llvm-symbolizer joins it.
    func fileName(_ index: UInt64, compDir: String) -> String? {
        let entry: FileEntry
        if version >= 5 {
            guard index < UInt64(files.count) else { return nil }
            entry = files[Int(index)]
        } else {
            guard index != 0, index <= UInt64(files.count) else { return nil }
            entry = files[Int(index - 1)]
        }
        if entry.name.hasPrefix("/") { return entry.name }
        var includeDir = ""
        if version >= 5 {
            if entry.directoryIndex < UInt64(directories.count) { includeDir = directories[Int(entry.directoryIndex)] }
        } else if entry.directoryIndex > 0 && entry.directoryIndex <= UInt64(directories.count) {
            includeDir = directories[Int(entry.directoryIndex - 1)]
        }
        var path = ""
        if (version < 5 || entry.directoryIndex != 0) && !compDir.isEmpty && !includeDir.hasPrefix("/") {
            path = Self.append(path, compDir)
        }
        path = Self.append(path, includeDir)
        return Self.append(path, entry.name)
    }

    /// POSIX path joining: one `/` between components, empty components skipped.
    static func append(_ path: String, _ component: String) -> String {
        if component.isEmpty { return path }
        if path.isEmpty { return component }
        if path.hasSuffix("/") { return path + component.drop { $0 == "/" } }
        if component.hasPrefix("/") { return path + component }
        return path + "/" + component
    }
}
