/// The DWARF sections of one ELF file (empty buffers for missing sections).
struct DWARFSections {
    var info, abbrev, str, lineStr, strOffsets, addr, ranges, rnglists, line, aranges: UnsafeRawBufferPointer

    init(elf: ELFFile) {
        info = elf.contentsIfPresent(".debug_info")
        abbrev = elf.contentsIfPresent(".debug_abbrev")
        str = elf.contentsIfPresent(".debug_str")
        lineStr = elf.contentsIfPresent(".debug_line_str")
        strOffsets = elf.contentsIfPresent(".debug_str_offsets")
        addr = elf.contentsIfPresent(".debug_addr")
        ranges = elf.contentsIfPresent(".debug_ranges")
        rnglists = elf.contentsIfPresent(".debug_rnglists")
        line = elf.contentsIfPresent(".debug_line")
        aranges = elf.contentsIfPresent(".debug_aranges")
    }
}

/// A half-open range of code addresses `[low, high)`.
struct PCRange: Equatable {
    var low: UInt64
    var high: UInt64
    func contains(_ address: UInt64) -> Bool { address >= low && address < high }
}

/// One compilation unit of `.debug_info`: its header, and what its unit DIE says about bases,
/// code ranges, line table and compilation directory. The DIE tree is parsed on demand.
final class DWARFUnit {
    let offset: UInt64
    let end: Int
    let firstDIE: Int
    let version: UInt16
    let unitType: UInt8
    let addressSize: Int
    let is64: Bool
    let abbrevs: DWARFAbbrevTable

    var tag: UInt64 = 0
    var baseAddress: UInt64 = 0
    var stmtList: UInt64?
    var compDir = ""
    var name = ""
    var strOffsetsBase: UInt64
    var addrBase: UInt64
    var rnglistsBase: UInt64
    var ranges: [PCRange] = []
    var hasPCInfo = false

    var offsetSize: Int { is64 ? 8 : 4 }

    /// The end of the unit at `offset` when it is one `parse` reads (a compile, partial or
    /// skeleton unit of DWARF 2-5), from its header alone; `next` receives the next unit's
    /// offset as `parse` would.
    static func indexableEnd(sections: DWARFSections, at offset: UInt64, next: inout UInt64) throws -> Int? {
        var c = try ByteCursor(sections.info, at: offset)
        let end = try c.initialLength(of: "unit", in: ".debug_info").end
        next = UInt64(end)
        let version = try c.u16()
        guard version >= 2 && version <= 5 else { return nil }
        if version >= 5 { guard [1, 3, 4].contains(try c.u8()) else { return nil } }
        return end
    }

    /// Reads the unit header at `offset`; returns nil for units this reader skips (type units,
    /// split units) and throws on malformed headers. `next` receives the next unit's offset.
    /// `unitDIEOnly`: the abbreviation table is read only as far as the unit DIE's entry (not
    /// cached); such a unit reads its unit DIE and nothing else.
    static func parse(sections: DWARFSections, at offset: UInt64, next: inout UInt64,
                      abbrevCache: inout [String: DWARFAbbrevTable], unitDIEOnly: Bool = false) throws -> DWARFUnit? {
        var c = try ByteCursor(sections.info, at: offset)
        let (end, is64) = try c.initialLength(of: "unit", in: ".debug_info")
        next = UInt64(end)
        let version = try c.u16()
        guard version >= 2 && version <= 5 else { return nil }
        var unitType: UInt8 = 1
        let addressSize: Int
        let abbrevOffset: UInt64
        if version >= 5 {
            unitType = try c.u8()
            addressSize = Int(try c.u8())
            abbrevOffset = try c.offsetValue(is64: is64)
            switch unitType {
            case 1, 3: break                    // compile, partial
            case 4: try c.skip(8)               // skeleton: dwo_id
            default: return nil                 // type and split units
            }
        } else {
            abbrevOffset = try c.offsetValue(is64: is64)
            addressSize = Int(try c.u8())
        }
        guard [1, 2, 4, 8].contains(addressSize), c.offset <= end else { return nil }
        let key = "\(abbrevOffset)/\(addressSize)/\(is64)/\(version)"
        let table: DWARFAbbrevTable
        if unitDIEOnly && abbrevCache[key] == nil {
            var peek = c
            table = try DWARFAbbrevTable(section: sections.abbrev, offset: abbrevOffset, addressSize: addressSize,
                                         offsetSize: is64 ? 8 : 4, version: version, upTo: try peek.uleb())
        } else if let cached = abbrevCache[key] {
            table = cached
        } else {
            table = try DWARFAbbrevTable(section: sections.abbrev, offset: abbrevOffset, addressSize: addressSize,
                                         offsetSize: is64 ? 8 : 4, version: version)
            abbrevCache[key] = table
        }
        let unit = DWARFUnit(offset: offset, end: end, firstDIE: c.offset, version: version, unitType: unitType,
                             addressSize: addressSize, is64: is64, abbrevs: table)
        try unit.readUnitDIE(sections)
        return unit
    }

    private init(offset: UInt64, end: Int, firstDIE: Int, version: UInt16, unitType: UInt8,
                 addressSize: Int, is64: Bool, abbrevs: DWARFAbbrevTable) {
        self.offset = offset
        self.end = end
        self.firstDIE = firstDIE
        self.version = version
        self.unitType = unitType
        self.addressSize = addressSize
        self.is64 = is64
        self.abbrevs = abbrevs
        strOffsetsBase = version >= 5 ? (is64 ? 16 : 8) : 0
        addrBase = version >= 5 ? 8 : 0
        rnglistsBase = version >= 5 ? (is64 ? 20 : 12) : 0
    }

    /// A cursor over this unit's DIEs, starting at absolute `.debug_info` offset `at`.
    func cursor(_ sections: DWARFSections, at: Int) -> ByteCursor {
        ByteCursor(UnsafeRawBufferPointer(rebasing: sections.info[0..<end]), offset: at)
    }

    @inline(__always)
    func read(_ spec: DWARFAbbrev.Spec, _ c: inout ByteCursor) throws -> FormValue {
        try DWARFForm.read(spec.form, implicitConst: spec.implicitConst, cursor: &c,
                           addressSize: addressSize, is64: is64, version: version)
    }

    @inline(__always)
    func skip(_ spec: DWARFAbbrev.Spec, _ c: inout ByteCursor) throws {
        try DWARFForm.skip(spec.form, cursor: &c, addressSize: addressSize, is64: is64, version: version)
    }

    /// Bases are attributes of the unit DIE that may follow the attributes needing them, so
    /// all values are read first and resolved afterwards.
    private func readUnitDIE(_ sections: DWARFSections) throws {
        var c = cursor(sections, at: firstDIE)
        let code = try c.uleb()
        guard code != 0, let index = abbrevs.index(of: code) else { return }
        let abbrev = abbrevs.abbrevs[index]
        tag = abbrev.tag
        var low: FormValue?, high: FormValue?, rangesValue: FormValue?
        var nameValue: FormValue?, dirValue: FormValue?
        for spec in abbrev.specs {
            let value = try read(spec, &c)
            switch spec.attribute {
            case DW.Attribute.lowPC: low = value
            case DW.Attribute.highPC: high = value
            case DW.Attribute.ranges: rangesValue = value
            case DW.Attribute.name: nameValue = value
            case DW.Attribute.compDir: dirValue = value
            case DW.Attribute.stmtList: stmtList = value.unsigned
            case DW.Attribute.strOffsetsBase: if let v = value.unsigned { strOffsetsBase = v }
            case DW.Attribute.addrBase, DW.Attribute.gnuAddrBase: if let v = value.unsigned { addrBase = v }
            case DW.Attribute.rnglistsBase: if let v = value.unsigned { rnglistsBase = v }
            default: break
            }
        }
        if let low { baseAddress = address(low, sections) ?? 0 }
        name = nameValue.flatMap { string($0, sections) } ?? ""
        compDir = dirValue.flatMap { string($0, sections) } ?? ""
        ranges = pcRanges(low: low, high: high, ranges: rangesValue, sections)
        hasPCInfo = rangesValue != nil || (low != nil && high != nil)
    }

    /// Resolves a string-class value against `.debug_str`, `.debug_line_str` or the string
    /// offsets table.
    func string(_ value: FormValue, _ sections: DWARFSections) -> String? {
        switch value {
        case .inlineString(let at): return ByteCursor.string(in: sections.info, at: UInt64(at))
        case .strp(let off): return ByteCursor.string(in: sections.str, at: off)
        case .lineStrp(let off): return ByteCursor.string(in: sections.lineStr, at: off)
        case .stringIndex(let index):
            let size = UInt64(offsetSize)
            let (product, overflow) = index.multipliedReportingOverflow(by: size)
            guard !overflow, var c = try? ByteCursor(sections.strOffsets, at: strOffsetsBase &+ product),
                  let off = try? c.offsetValue(is64: is64) else { return nil }
            return ByteCursor.string(in: sections.str, at: off)
        default: return nil
        }
    }

    /// Resolves an address-class value, reading `.debug_addr` for indexed forms.
    func address(_ value: FormValue, _ sections: DWARFSections) -> UInt64? {
        switch value {
        case .address(let a): return a
        case .addressIndex(let index): return indexedAddress(index, sections)
        default: return nil
        }
    }

    func indexedAddress(_ index: UInt64, _ sections: DWARFSections) -> UInt64? {
        let (product, overflow) = index.multipliedReportingOverflow(by: UInt64(addressSize))
        guard !overflow, var c = try? ByteCursor(sections.addr, at: addrBase &+ product) else { return nil }
        return try? c.unsigned(size: addressSize)
    }

    /// The code ranges described by `DW_AT_low_pc`/`DW_AT_high_pc` or `DW_AT_ranges`.
    func pcRanges(low: FormValue?, high: FormValue?, ranges: FormValue?, _ sections: DWARFSections) -> [PCRange] {
        if let ranges {
            return (try? rangeList(ranges, sections)) ?? []
        }
        guard let low, let high, let start = address(low, sections) else { return [] }
        let end: UInt64
        switch high {
        case .address, .addressIndex: end = address(high, sections) ?? start
        default: end = start &+ (high.unsigned ?? 0)
        }
        return end > start ? [PCRange(low: start, high: end)] : []
    }
}
