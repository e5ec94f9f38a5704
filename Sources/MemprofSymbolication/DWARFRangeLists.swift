/// Address range lists: `.debug_ranges` (DWARF 2–4) and `.debug_rnglists` (DWARF 5).
extension DWARFUnit {
    /// The ranges a `DW_AT_ranges` value points at. Empty ranges are dropped.
    func rangeList(_ value: FormValue, _ sections: DWARFSections) throws -> [PCRange] {
        if version < 5 {
            guard let offset = value.unsigned else { return [] }
            return try legacyRanges(at: offset, sections)
        }
        switch value {
        case .rangeListIndex(let index):
            let (product, overflow) = index.multipliedReportingOverflow(by: UInt64(offsetSize))
            guard !overflow else { return [] }
            var c = try ByteCursor(sections.rnglists, at: rnglistsBase &+ product)
            let relative = try c.offsetValue(is64: is64)
            return try rangeListEntries(at: rnglistsBase &+ relative, sections)
        default:
            guard let offset = value.unsigned else { return [] }
            return try rangeListEntries(at: offset, sections)
        }
    }

    /// `.debug_ranges`: address pairs relative to a base, `(0, 0)` ends the list and
    /// `(max, base)` selects a new base.
    private func legacyRanges(at offset: UInt64, _ sections: DWARFSections) throws -> [PCRange] {
        var c = try ByteCursor(sections.ranges, at: offset)
        let maxAddress: UInt64 = addressSize == 8 ? .max : (1 << UInt64(addressSize * 8)) - 1
        var base = baseAddress
        var result: [PCRange] = []
        while true {
            let start = try c.unsigned(size: addressSize)
            let end = try c.unsigned(size: addressSize)
            if start == 0 && end == 0 { break }
            if start == maxAddress {
                base = end
                continue
            }
            let low = base &+ start, high = base &+ end
            if high > low { result.append(PCRange(low: low, high: high)) }
        }
        return result
    }

    /// `.debug_rnglists` entries (`DW_RLE_*`).
    private func rangeListEntries(at offset: UInt64, _ sections: DWARFSections) throws -> [PCRange] {
        var c = try ByteCursor(sections.rnglists, at: offset)
        var base = baseAddress
        var result: [PCRange] = []
        func add(_ low: UInt64, _ high: UInt64) {
            if high > low { result.append(PCRange(low: low, high: high)) }
        }
        func indexed(_ i: UInt64) throws -> UInt64 {
            guard let a = indexedAddress(i, sections) else { throw SymbolicationError.malformed("bad address index") }
            return a
        }
        while true {
            let kind = try c.u8()
            switch kind {
            case 0: return result                                   // end_of_list
            case 1: base = try indexed(try c.uleb())                // base_addressx
            case 2:                                                 // startx_endx
                let s = try indexed(try c.uleb())
                add(s, try indexed(try c.uleb()))
            case 3:                                                 // startx_length
                let s = try indexed(try c.uleb())
                add(s, s &+ (try c.uleb()))
            case 4:                                                 // offset_pair
                let s = try c.uleb()
                let e = try c.uleb()
                add(base &+ s, base &+ e)
            case 5: base = try c.unsigned(size: addressSize)        // base_address
            case 6:                                                 // start_end
                let s = try c.unsigned(size: addressSize)
                add(s, try c.unsigned(size: addressSize))
            case 7:                                                 // start_length
                let s = try c.unsigned(size: addressSize)
                add(s, s &+ (try c.uleb()))
            default:
                throw SymbolicationError.malformed("unknown range list entry \(kind)")
            }
        }
    }
}
