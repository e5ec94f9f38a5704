/// One frame as DWARF describes it: the (linkage) name of a subprogram or inlined
/// subroutine and the source position within it.
struct DWARFFrame {
    var linkageName: String?
    var name: String?
    var file: String?
    var line: Int = 0
    var column: Int = 0
    var declLine: Int = 0
}

/// The debug information of one ELF file. Kept between batches: where each unit starts and
/// ends and an address → unit index (a few words per unit and range). Unit headers,
/// abbreviation tables, DIE trees, line programs and names are read for each batch of
/// addresses and dropped after it; the sections stay in the file's mapping. Not thread-safe:
/// the `Symbolizer` serializes.
final class DWARFContext {
    struct DIEName {
        var linkage: String?
        var name: String?
        var declLine = 0
    }

    /// What one batch has read: parsed units, abbreviation tables and DIE names.
    struct Batch {
        var units: [Int32: DWARFUnit] = [:]
        var abbrevs: [String: DWARFAbbrevTable] = [:]
        var names: [UInt64: DIEName] = [:]
    }

    let sections: DWARFSections
    /// `.debug_info` offset of each unit read, ascending, and of its end.
    private var unitStarts: [UInt64] = []
    private var unitEnds: [UInt64] = []
    private var index: [(range: PCRange, unit: Int32)] = []
    private var indexMaxHigh: [UInt64] = []
    /// Whether any unit has a line table.
    private(set) var hasLineTables = false

    /// Number of compilation units read.
    var unitCount: Int { unitStarts.count }

    /// Returns nil when the file has no `.debug_info` units this reader understands.
    init?(sections: DWARFSections) {
        self.sections = sections
        guard sections.info.count > 0 else { return nil }
        var abbrevCache: [String: DWARFAbbrevTable] = [:]
        var offset: UInt64 = 0
        var lineTables = false
        let aranges = DWARFAddressRanges(section: sections.aranges)
        while offset < UInt64(sections.info.count) {
            var next = offset
            // One unit at a time, dropped once its ranges are noted.
            if abbrevCache.count > 16 { abbrevCache = [:] }
            if let known = aranges?.byUnit[offset],
               let end = try? DWARFUnit.indexableEnd(sections: sections, at: offset, next: &next) {
                // `.debug_aranges` says where the unit's code is: its header is all that is read.
                let number = Int32(unitStarts.count)
                unitStarts.append(offset)
                unitEnds.append(UInt64(end))
                lineTables = true
                for r in known { index.append((r, number)) }
            } else if let unit = try? DWARFUnit.parse(sections: sections, at: offset, next: &next,
                                                      abbrevCache: &abbrevCache, unitDIEOnly: true) {
                // The unit DIE alone says where most units' code is; the rest are walked whole.
                let number = Int32(unitStarts.count)
                unitStarts.append(offset)
                unitEnds.append(UInt64(unit.end))
                lineTables = lineTables || unit.stmtList != nil
                var ranges = unit.ranges
                var ignored: UInt64 = 0
                if !unit.hasPCInfo,
                   let whole = try? DWARFUnit.parse(sections: sections, at: offset, next: &ignored, abbrevCache: &abbrevCache),
                   let tree = try? DWARFInlineTree(unit: whole, sections: sections) {
                    ranges = tree.topLevelRanges
                }
                for r in ranges { index.append((r, number)) }
            }
            // A broken unit is skipped when its length is known; else reading stops.
            guard next > offset else { break }
            offset = next
        }
        guard !unitStarts.isEmpty else { return nil }
        hasLineTables = lineTables && sections.line.count > 0
        index.sort { $0.range.low != $1.range.low ? $0.range.low < $1.range.low : $0.unit < $1.unit }
        var running: UInt64 = 0
        indexMaxHigh = index.map { running = max(running, $0.range.high); return running }
    }

    /// The number of the unit whose ranges hold `address`.
    func unitNumber(forAddress address: UInt64) -> Int32? {
        var lo = 0, hi = index.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if index[mid].range.low <= address { lo = mid + 1 } else { hi = mid }
        }
        var i = lo - 1, steps = 0
        while i >= 0 && indexMaxHigh[i] > address && steps < 4096 {
            if index[i].range.contains(address) { return index[i].unit }
            i -= 1
            steps += 1
        }
        return nil
    }

    /// The number of the unit holding the DIE at `.debug_info` offset `offset`.
    func unitNumber(containingDIE offset: UInt64) -> Int32? {
        var lo = 0, hi = unitStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if unitStarts[mid] <= offset { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, offset < unitEnds[lo - 1] else { return nil }
        return Int32(lo - 1)
    }

    /// Unit `number`, read once per batch.
    func unit(_ number: Int32, _ batch: inout Batch) -> DWARFUnit? {
        if let known = batch.units[number] { return known }
        var next: UInt64 = 0
        guard let unit = try? DWARFUnit.parse(sections: sections, at: unitStarts[Int(number)], next: &next,
                                              abbrevCache: &batch.abbrevs) else { return nil }
        batch.units[number] = unit
        return unit
    }

    /// The frames at each address of `addresses`, innermost first, as llvm-symbolizer's DWARF
    /// layer builds them; addresses no unit covers are absent. Each unit met is walked once.
    func frames(at addresses: [UInt64]) -> [UInt64: [DWARFFrame]] {
        var byUnit: [Int32: [UInt64]] = [:]
        for address in Set(addresses) {
            guard let number = unitNumber(forAddress: address) else { continue }
            byUnit[number, default: []].append(address)
        }
        var batch = Batch()
        var result: [UInt64: [DWARFFrame]] = [:]
        result.reserveCapacity(addresses.count)
        for (number, unitTargets) in byUnit {
            guard let unit = unit(number, &batch) else { continue }
            let targets = unitTargets.sorted()
            let lines = unit.stmtList.flatMap {
                try? DWARFLineTable(sections: sections, offset: $0, unit: unit, targets: targets)
            }
            let tree = try? DWARFInlineTree(unit: unit, sections: sections, targets: targets)
            for (i, address) in targets.enumerated() {
                result[address] = frames(at: address, unit: unit, row: lines?.row(forTarget: i), lines: lines,
                                         tree: tree, batch: &batch)
            }
        }
        return result
    }

    private func frames(at address: UInt64, unit: DWARFUnit, row: DWARFLineTable.Row?, lines: DWARFLineTable?,
                        tree: DWARFInlineTree?, batch: inout Batch) -> [DWARFFrame] {
        let chain = tree?.chain(at: address) ?? []
        guard let tree, !chain.isEmpty else {
            guard let row, let lines else { return [] }
            return [DWARFFrame(file: lines.fileName(UInt64(row.file), compDir: unit.compDir),
                               line: Int(row.line), column: Int(row.column))]
        }
        var frames: [DWARFFrame] = []
        var callFile: UInt64 = 0, callLine = 0, callColumn = 0
        for (i, nodeIndex) in chain.enumerated() {
            let node = tree.nodes[nodeIndex]
            let n = name(of: node.dieOffset, batch: &batch)
            var frame = DWARFFrame(linkageName: n.linkage, name: n.name, declLine: n.declLine)
            if i == 0 {
                if let row, let lines {
                    frame.file = lines.fileName(UInt64(row.file), compDir: unit.compDir)
                    frame.line = Int(row.line)
                    frame.column = Int(row.column)
                }
            } else {
                frame.file = lines?.fileName(callFile, compDir: unit.compDir)
                frame.line = callLine
                frame.column = callColumn
            }
            callFile = node.callFile
            callLine = Int(node.callLine)
            callColumn = Int(node.callColumn)
            frames.append(frame)
        }
        return frames
    }

    /// Linkage name, name and declaration line of a DIE, following `DW_AT_abstract_origin`
    /// and `DW_AT_specification` like llvm's `findRecursively`.
    func name(of dieOffset: UInt64, batch: inout Batch) -> DIEName {
        if let cached = batch.names[dieOffset] { return cached }
        var result = DIEName()
        var work = [dieOffset]
        var seen: Set<UInt64> = []
        while let offset = work.popLast(), seen.count < 32 {
            guard seen.insert(offset).inserted, let number = unitNumber(containingDIE: offset),
                  let unit = unit(number, &batch) else { continue }
            var c = unit.cursor(sections, at: Int(offset))
            guard let code = try? c.uleb(), let index = unit.abbrevs.index(of: code) else { continue }
            var origin: UInt64?, specification: UInt64?
            do {
                for spec in unit.abbrevs.abbrevs[index].specs {
                    switch spec.attribute {
                    case DW.Attribute.linkageName, DW.Attribute.mipsLinkageName:
                        let s = unit.string(try unit.read(spec, &c), sections)
                        if result.linkage == nil { result.linkage = s }
                    case DW.Attribute.name:
                        let s = unit.string(try unit.read(spec, &c), sections)
                        if result.name == nil { result.name = s }
                    case DW.Attribute.declLine:
                        let v = try unit.read(spec, &c).unsigned ?? 0
                        if result.declLine == 0 { result.declLine = Int(truncatingIfNeeded: v) }
                    case DW.Attribute.abstractOrigin:
                        origin = reference(try unit.read(spec, &c), unit)
                    case DW.Attribute.specification:
                        specification = reference(try unit.read(spec, &c), unit)
                    default:
                        try unit.skip(spec, &c)
                    }
                }
            } catch {
                continue
            }
            if let origin { work.append(origin) }
            if let specification { work.append(specification) }
        }
        batch.names[dieOffset] = result
        return result
    }

    private func reference(_ value: FormValue, _ unit: DWARFUnit) -> UInt64? {
        switch value {
        case .unitReference(let v): return unit.offset &+ v
        case .infoReference(let v): return v
        default: return nil
        }
    }
}
