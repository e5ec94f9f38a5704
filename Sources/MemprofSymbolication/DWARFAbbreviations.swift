/// One abbreviation declaration of `.debug_abbrev`: a DIE's tag and attribute layout.
struct DWARFAbbrev {
    struct Spec {
        var attribute: UInt64
        var form: UInt64
        var implicitConst: Int64
    }

    var tag: UInt64
    var hasChildren: Bool
    var specs: [Spec]
    /// Total size of the attribute values when every form has a fixed size, so a DIE the
    /// reader does not care about is skipped in one step.
    var fixedSize: Int?
}

/// An abbreviation table, indexed by code (dense codes in an array, the rest in a dictionary).
final class DWARFAbbrevTable {
    private(set) var abbrevs: [DWARFAbbrev] = []
    private var dense: [Int32] = []
    private var sparse: [UInt64: Int32] = [:]

    /// Parses the table at `offset`; value sizes for `fixedSize` use the unit's address and
    /// offset sizes. With `upTo`, stops after the entry of that code: a unit's first DIE
    /// needs one entry, where a whole table has hundreds (glibc's units each have their own).
    init(section: UnsafeRawBufferPointer, offset: UInt64, addressSize: Int, offsetSize: Int, version: UInt16,
         upTo last: UInt64? = nil) throws {
        var c = try ByteCursor(section, at: offset)
        while true {
            let code = try c.uleb()
            if code == 0 { break }
            let tag = try c.uleb()
            let children = try c.u8() != 0
            var specs: [DWARFAbbrev.Spec] = []
            var fixed: Int? = 0
            while true {
                let attribute = try c.uleb()
                let form = try c.uleb()
                var implicitConst: Int64 = 0
                if form == DW.Form.implicitConst { implicitConst = try c.sleb() }
                if attribute == 0 && form == 0 { break }
                specs.append(.init(attribute: attribute, form: form, implicitConst: implicitConst))
                if let f = fixed, let size = DWARFForm.fixedSize(form, addressSize: addressSize,
                                                                   offsetSize: offsetSize, version: version) {
                    fixed = f + size
                } else {
                    fixed = nil
                }
            }
            let index = Int32(abbrevs.count)
            abbrevs.append(DWARFAbbrev(tag: tag, hasChildren: children, specs: specs, fixedSize: fixed))
            if code < 65536 {
                if dense.count <= Int(code) { dense.append(contentsOf: repeatElement(-1, count: Int(code) + 1 - dense.count)) }
                dense[Int(code)] = index
            } else {
                sparse[code] = index
            }
            if code == last { break }
        }
    }

    /// The index into `abbrevs` of `code`, or nil if the table has no such code.
    @inline(__always)
    func index(of code: UInt64) -> Int? {
        if code < UInt64(dense.count) {
            let i = dense[Int(code)]
            return i >= 0 ? Int(i) : nil
        }
        return sparse[code].map(Int.init)
    }
}

/// An attribute value as read from `.debug_info`, not yet resolved against other sections.
enum FormValue {
    case address(UInt64)
    case addressIndex(UInt64)
    case constant(UInt64)
    case signedConstant(Int64)
    /// Offset relative to the start of the unit header.
    case unitReference(UInt64)
    /// Offset from the start of `.debug_info`.
    case infoReference(UInt64)
    /// Offset in `.debug_info` of an inline NUL-terminated string.
    case inlineString(Int)
    case strp(UInt64)
    case lineStrp(UInt64)
    case stringIndex(UInt64)
    case sectionOffset(UInt64)
    case rangeListIndex(UInt64)
    case other

    /// The value as an unsigned number, for constants and offsets.
    var unsigned: UInt64? {
        switch self {
        case .constant(let v), .sectionOffset(let v): return v
        case .signedConstant(let v): return UInt64(bitPattern: v)
        default: return nil
        }
    }
}

/// Reading and skipping attribute values by form.
enum DWARFForm {
    static func fixedSize(_ form: UInt64, addressSize: Int, offsetSize: Int, version: UInt16) -> Int? {
        switch form {
        case DW.Form.addr: return addressSize
        case DW.Form.data1, DW.Form.ref1, DW.Form.flag, DW.Form.strx1, DW.Form.addrx1: return 1
        case DW.Form.data2, DW.Form.ref2, DW.Form.strx2, DW.Form.addrx2: return 2
        case DW.Form.strx3, DW.Form.addrx3: return 3
        case DW.Form.data4, DW.Form.ref4, DW.Form.strx4, DW.Form.addrx4, DW.Form.refSup4: return 4
        case DW.Form.data8, DW.Form.ref8, DW.Form.refSig8, DW.Form.refSup8: return 8
        case DW.Form.data16: return 16
        case DW.Form.strp, DW.Form.secOffset, DW.Form.lineStrp, DW.Form.strpSup,
             DW.Form.gnuRefAlt, DW.Form.gnuStrpAlt: return offsetSize
        case DW.Form.refAddr: return version <= 2 ? addressSize : offsetSize
        case DW.Form.flagPresent, DW.Form.implicitConst: return 0
        default: return nil
        }
    }

    /// Reads one value of `form`. `indirect` forms are followed (at most a few levels).
    static func read(_ form: UInt64, implicitConst: Int64, cursor c: inout ByteCursor,
                     addressSize: Int, is64: Bool, version: UInt16, depth: Int = 0) throws -> FormValue {
        switch form {
        case DW.Form.addr: return .address(try c.unsigned(size: addressSize))
        case DW.Form.data1: return .constant(UInt64(try c.u8()))
        case DW.Form.data2: return .constant(UInt64(try c.u16()))
        case DW.Form.data4: return .constant(UInt64(try c.u32()))
        case DW.Form.data8: return .constant(try c.u64())
        case DW.Form.udata: return .constant(try c.uleb())
        case DW.Form.sdata: return .signedConstant(try c.sleb())
        case DW.Form.implicitConst: return .signedConstant(implicitConst)
        case DW.Form.flag: return .constant(UInt64(try c.u8()))
        case DW.Form.flagPresent: return .constant(1)
        case DW.Form.ref1: return .unitReference(UInt64(try c.u8()))
        case DW.Form.ref2: return .unitReference(UInt64(try c.u16()))
        case DW.Form.ref4: return .unitReference(UInt64(try c.u32()))
        case DW.Form.ref8: return .unitReference(try c.u64())
        case DW.Form.refUdata: return .unitReference(try c.uleb())
        case DW.Form.refAddr:
            return .infoReference(version <= 2 ? try c.unsigned(size: addressSize) : try c.offsetValue(is64: is64))
        case DW.Form.string:
            let start = c.offset
            try c.skipCString()
            return .inlineString(start)
        case DW.Form.strp: return .strp(try c.offsetValue(is64: is64))
        case DW.Form.lineStrp: return .lineStrp(try c.offsetValue(is64: is64))
        case DW.Form.strx, DW.Form.gnuStrIndex: return .stringIndex(try c.uleb())
        case DW.Form.strx1: return .stringIndex(UInt64(try c.u8()))
        case DW.Form.strx2: return .stringIndex(UInt64(try c.u16()))
        case DW.Form.strx3: return .stringIndex(try c.u24())
        case DW.Form.strx4: return .stringIndex(UInt64(try c.u32()))
        case DW.Form.addrx, DW.Form.gnuAddrIndex: return .addressIndex(try c.uleb())
        case DW.Form.addrx1: return .addressIndex(UInt64(try c.u8()))
        case DW.Form.addrx2: return .addressIndex(UInt64(try c.u16()))
        case DW.Form.addrx3: return .addressIndex(try c.u24())
        case DW.Form.addrx4: return .addressIndex(UInt64(try c.u32()))
        case DW.Form.secOffset: return .sectionOffset(try c.offsetValue(is64: is64))
        case DW.Form.rnglistx: return .rangeListIndex(try c.uleb())
        case DW.Form.indirect:
            guard depth < 4 else { throw SymbolicationError.malformed("DW_FORM_indirect loop") }
            let actual = try c.uleb()
            return try read(actual, implicitConst: implicitConst, cursor: &c, addressSize: addressSize,
                            is64: is64, version: version, depth: depth + 1)
        default:
            try skip(form, cursor: &c, addressSize: addressSize, is64: is64, version: version, depth: depth)
            return .other
        }
    }

    /// Skips one value of `form`, throwing on an unknown form (its size cannot be known).
    static func skip(_ form: UInt64, cursor c: inout ByteCursor, addressSize: Int, is64: Bool,
                     version: UInt16, depth: Int = 0) throws {
        if let size = fixedSize(form, addressSize: addressSize, offsetSize: is64 ? 8 : 4, version: version) {
            try c.skip(size)
            return
        }
        switch form {
        case DW.Form.udata, DW.Form.sdata, DW.Form.refUdata, DW.Form.strx, DW.Form.addrx, DW.Form.loclistx,
             DW.Form.rnglistx, DW.Form.gnuAddrIndex, DW.Form.gnuStrIndex:
            _ = try c.uleb()
        case DW.Form.string: try c.skipCString()
        case DW.Form.block1: try c.skip(UInt64(try c.u8()))
        case DW.Form.block2: try c.skip(UInt64(try c.u16()))
        case DW.Form.block4: try c.skip(UInt64(try c.u32()))
        case DW.Form.block, DW.Form.exprloc: try c.skip(try c.uleb())
        case DW.Form.indirect:
            guard depth < 4 else { throw SymbolicationError.malformed("DW_FORM_indirect loop") }
            let actual = try c.uleb()
            try skip(actual, cursor: &c, addressSize: addressSize, is64: is64, version: version, depth: depth + 1)
        default:
            throw SymbolicationError.malformed("unknown DWARF form 0x\(String(form, radix: 16))")
        }
    }
}
