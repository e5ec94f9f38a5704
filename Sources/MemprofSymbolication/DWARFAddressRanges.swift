/// `.debug_aranges`: for each compilation unit that has a set, the address ranges of its
/// code, keyed by the unit's `.debug_info` offset. With it the unit index needs no unit's
/// abbreviation table: gcc's glibc has 2,900 units, each with its own table of about 46
/// entries, and reading them was most of the time a first lookup in glibc took.
struct DWARFAddressRanges {
    private(set) var byUnit: [UInt64: [PCRange]] = [:]

    /// Nil when the section is absent or any set is malformed (then every unit's own DIE is
    /// read instead: a partial table must not hide units it got wrong).
    init?(section: UnsafeRawBufferPointer) {
        guard section.count > 0 else { return nil }
        var c = ByteCursor(section)
        do {
            while !c.isAtEnd {
                let setStart = c.offset
                let (end, is64) = try c.initialLength(of: "address range set", in: ".debug_aranges")
                guard try c.u16() == 2 else { return nil }  // the only version there is (DWARF 2-5)
                let unit = try c.offsetValue(is64: is64)
                let addressSize = Int(try c.u8())
                let segmentSize = try c.u8()
                guard [4, 8].contains(addressSize), segmentSize == 0 else { return nil }
                // Tuples start at a multiple of twice the address size from the set's start.
                let tupleSize = 2 * addressSize
                let misalignment = (c.offset - setStart) % tupleSize
                if misalignment != 0 { try c.skip(tupleSize - misalignment) }
                var ranges: [PCRange] = []
                while c.offset + tupleSize <= end {
                    let low = try c.unsigned(size: addressSize)
                    let size = try c.unsigned(size: addressSize)
                    if low == 0 && size == 0 { break }
                    if size > 0 && low <= UInt64.max - size { ranges.append(PCRange(low: low, high: low + size)) }
                }
                byUnit[unit, default: []].append(contentsOf: ranges)
                c.offset = end
            }
        } catch {
            return nil
        }
        guard !byUnit.isEmpty else { return nil }
    }
}
