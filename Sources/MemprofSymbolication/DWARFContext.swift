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

/// The debug information of one ELF file: its unit headers and an address → unit index, kept;
/// DIE trees, line programs and names read for each batch of addresses and dropped after it.
/// The sections stay in the file's mapping. Not thread-safe: the `Symbolizer` serializes.
final class DWARFContext {
    struct DIEName {
        var linkage: String?
        var name: String?
        var declLine = 0
    }

    let sections: DWARFSections
    private(set) var units: [DWARFUnit] = []
    private var index: [(range: PCRange, unit: Int32)] = []
    private var indexMaxHigh: [UInt64] = []

    /// Returns nil when the file has no `.debug_info` units this reader understands.
    init?(sections: DWARFSections) {
        self.sections = sections
        guard sections.info.count > 0 else { return nil }
        var abbrevCache: [String: DWARFAbbrevTable] = [:]
        var offset: UInt64 = 0
        while offset < UInt64(sections.info.count) {
            var next = offset
            do {
                if let unit = try DWARFUnit.parse(sections: sections, at: offset, next: &next, abbrevCache: &abbrevCache) {
                    units.append(unit)
                }
            } catch {
                // A broken unit: skip it when its length is known, else stop.
            }
            guard next > offset else { break }
            offset = next
        }
        guard !units.isEmpty else { return nil }
        for (i, unit) in units.enumerated() {
            var ranges = unit.ranges
            if !unit.hasPCInfo, let tree = try? DWARFInlineTree(unit: unit, sections: sections) {
                ranges = tree.topLevelRanges
            }
            for r in ranges { index.append((r, Int32(i))) }
        }
        index.sort { $0.range.low != $1.range.low ? $0.range.low < $1.range.low : $0.unit < $1.unit }
        var running: UInt64 = 0
        indexMaxHigh = index.map { running = max(running, $0.range.high); return running }
    }

    /// Whether any unit has a line table.
    var hasLineTables: Bool { units.contains { $0.stmtList != nil } && sections.line.count > 0 }

    func unit(forAddress address: UInt64) -> DWARFUnit? {
        var lo = 0, hi = index.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if index[mid].range.low <= address { lo = mid + 1 } else { hi = mid }
        }
        var i = lo - 1, steps = 0
        while i >= 0 && indexMaxHigh[i] > address && steps < 4096 {
            if index[i].range.contains(address) { return units[Int(index[i].unit)] }
            i -= 1
            steps += 1
        }
        return nil
    }

    func unit(containingDIE offset: UInt64) -> DWARFUnit? {
        var lo = 0, hi = units.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if units[mid].offset <= offset { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, offset < UInt64(units[lo - 1].end) else { return nil }
        return units[lo - 1]
    }

    /// The frames at each address of `addresses`, innermost first, as llvm-symbolizer's DWARF
    /// layer builds them; addresses no unit covers are absent. Each unit met is walked once.
    func frames(at addresses: [UInt64]) -> [UInt64: [DWARFFrame]] {
        var byUnit: [ObjectIdentifier: (unit: DWARFUnit, targets: [UInt64])] = [:]
        for address in Set(addresses) {
            guard let unit = unit(forAddress: address) else { continue }
            byUnit[ObjectIdentifier(unit), default: (unit, [])].targets.append(address)
        }
        var names: [UInt64: DIEName] = [:]
        var result: [UInt64: [DWARFFrame]] = [:]
        result.reserveCapacity(addresses.count)
        for (_, entry) in byUnit {
            let unit = entry.unit
            let targets = entry.targets.sorted()
            let lines = unit.stmtList.flatMap {
                try? DWARFLineTable(sections: sections, offset: $0, unit: unit, targets: targets)
            }
            let tree = try? DWARFInlineTree(unit: unit, sections: sections, targets: targets)
            for (i, address) in targets.enumerated() {
                result[address] = frames(at: address, unit: unit, row: lines?.row(forTarget: i), lines: lines,
                                         tree: tree, names: &names)
            }
        }
        return result
    }

    private func frames(at address: UInt64, unit: DWARFUnit, row: DWARFLineTable.Row?, lines: DWARFLineTable?,
                        tree: DWARFInlineTree?, names: inout [UInt64: DIEName]) -> [DWARFFrame] {
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
            let n = name(of: node.dieOffset, cache: &names)
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
    func name(of dieOffset: UInt64, cache names: inout [UInt64: DIEName]) -> DIEName {
        if let cached = names[dieOffset] { return cached }
        var result = DIEName()
        var work = [dieOffset]
        var seen: Set<UInt64> = []
        while let offset = work.popLast(), seen.count < 32 {
            guard seen.insert(offset).inserted, let unit = unit(containingDIE: offset) else { continue }
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
        names[dieOffset] = result
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
