/// The subprograms and inlined subroutines of one unit that have code, as a tree in DIE
/// order, for finding the chain of inlined calls at an address.
///
/// Nodes are stored in pre-order; `end` is one past the node's last descendant. A node's
/// children are the nodes before its `end` whose `parent` is that node. Lexical blocks and
/// other DIEs are transparent.
///
/// Built for a set of addresses (`targets`), the tree keeps only the nodes a lookup of one of
/// them can reach: those whose ranges hold a target and that are roots (subprograms, top
/// level) or children of a kept node. Lookups of those addresses give what the whole tree
/// gives, while the unit's other functions (a Swift module is one unit of tens of thousands)
/// are never stored.
struct DWARFInlineTree {
    struct Node {
        /// Absolute `.debug_info` offset of the DIE, for name lookup.
        var dieOffset: UInt64
        var firstRange: Int32
        var rangeCount: Int32
        var parent: Int32
        var end: Int32
        var isSubprogram: Bool
        var callFile: UInt64
        var callLine: UInt32
        var callColumn: UInt32
    }

    private(set) var nodes: [Node] = []
    private var ranges: [PCRange] = []
    /// Ranges of top-level nodes and subprograms sorted by start, with the running maximum
    /// of their ends.
    private var top: [(range: PCRange, node: Int32)] = []
    private var topMaxHigh: [UInt64] = []

    /// How the nearest enclosing DIE with code stands: none (top level), kept at an index, or
    /// left out.
    private enum Enclosing {
        case none, kept(Int32), dropped
    }

    /// Walks the unit's DIEs. `targets` (ascending): keep only nodes reachable for them; nil:
    /// keep every node.
    init(unit: DWARFUnit, sections: DWARFSections, targets: [UInt64]? = nil) throws {
        var c = unit.cursor(sections, at: unit.firstDIE)
        // For each open DIE with children: what its children hang from, and its own node.
        var stack: [(children: Enclosing, own: Int32)] = []
        let abbrevs = unit.abbrevs
        func holdsTarget(_ pcs: [PCRange]) -> Bool {
            guard let targets else { return true }
            return pcs.contains { r in
                let i = ELFSymbolTable.firstIndex(in: targets, notBelow: r.low)
                return i < targets.count && targets[i] < r.high
            }
        }
        while c.offset < unit.end {
            let dieOffset = UInt64(c.offset)
            let code = try c.uleb()
            if code == 0 {
                if let closed = stack.popLast(), closed.own >= 0 { nodes[Int(closed.own)].end = Int32(nodes.count) }
                if stack.isEmpty { break }
                continue
            }
            guard let index = abbrevs.index(of: code) else {
                throw SymbolicationError.malformed("unknown abbreviation code \(code)")
            }
            let enclosing = stack.last?.children ?? .none
            var own: Int32 = -1
            var children = enclosing
            let tag = abbrevs.abbrevs[index].tag
            if tag == DW.Tag.subprogram || tag == DW.Tag.inlinedSubroutine {
                var low: FormValue?, high: FormValue?, rangesValue: FormValue?
                var callFile: UInt64 = 0, callLine: UInt64 = 0, callColumn: UInt64 = 0
                for spec in abbrevs.abbrevs[index].specs {
                    switch spec.attribute {
                    case DW.Attribute.lowPC: low = try unit.read(spec, &c)
                    case DW.Attribute.highPC: high = try unit.read(spec, &c)
                    case DW.Attribute.ranges: rangesValue = try unit.read(spec, &c)
                    case DW.Attribute.callFile: callFile = try unit.read(spec, &c).unsigned ?? 0
                    case DW.Attribute.callLine: callLine = try unit.read(spec, &c).unsigned ?? 0
                    case DW.Attribute.callColumn: callColumn = try unit.read(spec, &c).unsigned ?? 0
                    default: try unit.skip(spec, &c)
                    }
                }
                let pcs = unit.pcRanges(low: low, high: high, ranges: rangesValue, sections)
                if !pcs.isEmpty {
                    let isSubprogram = tag == DW.Tag.subprogram
                    var parent: Int32 = -1
                    var reachable = isSubprogram
                    switch enclosing {
                    case .none: reachable = true
                    case .kept(let p): parent = p; reachable = true
                    case .dropped: break
                    }
                    if reachable && holdsTarget(pcs) {
                        own = Int32(nodes.count)
                        // A subprogram nested in a node left out is a root of its own.
                        if case .dropped = enclosing { parent = -1 }
                        nodes.append(Node(dieOffset: dieOffset, firstRange: Int32(ranges.count),
                                          rangeCount: Int32(pcs.count), parent: parent, end: own + 1,
                                          isSubprogram: isSubprogram, callFile: callFile,
                                          callLine: UInt32(truncatingIfNeeded: callLine),
                                          callColumn: UInt32(truncatingIfNeeded: callColumn)))
                        ranges.append(contentsOf: pcs)
                        children = .kept(own)
                    } else {
                        children = .dropped
                    }
                }
            } else if let size = abbrevs.abbrevs[index].fixedSize {
                try c.skip(size)
            } else {
                for spec in abbrevs.abbrevs[index].specs { try unit.skip(spec, &c) }
            }
            if abbrevs.abbrevs[index].hasChildren {
                stack.append((children, own))
            }
        }
        // Close nodes left open by a truncated unit.
        for (_, own) in stack where own >= 0 { nodes[Int(own)].end = Int32(nodes.count) }

        // Every subprogram with code is a root for lookup: nested functions (Swift local
        // functions, closures) may lie outside their parent's ranges.
        for (i, node) in nodes.enumerated() where node.parent < 0 || node.isSubprogram {
            for r in node.firstRange..<(node.firstRange + node.rangeCount) {
                top.append((ranges[Int(r)], Int32(i)))
            }
        }
        top.sort { $0.range.low != $1.range.low ? $0.range.low < $1.range.low : $0.node < $1.node }
        var running: UInt64 = 0
        topMaxHigh = top.map { running = max(running, $0.range.high); return running }
    }
    /// All code ranges of subprograms (for units without ranges of their own).
    var topLevelRanges: [PCRange] { top.map(\.range) }

    private func contains(_ node: Int, _ address: UInt64) -> Bool {
        let n = nodes[node]
        for r in n.firstRange..<(n.firstRange + n.rangeCount) where ranges[Int(r)].contains(address) { return true }
        return false
    }

    /// Node indexes from the innermost inlined subroutine at `address` out to its subprogram.
    func chain(at address: UInt64) -> [Int] {
        var lo = 0, hi = top.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if top[mid].range.low <= address { lo = mid + 1 } else { hi = mid }
        }
        // Among root ranges holding the address, the latest (innermost) DIE wins, as in llvm.
        var best = -1
        var i = lo - 1, steps = 0
        while i >= 0 && topMaxHigh[i] > address && steps < 4096 {
            if top[i].range.contains(address) && Int(top[i].node) > best { best = Int(top[i].node) }
            i -= 1
            steps += 1
        }
        guard best >= 0 else { return [] }
        var node = best
        while true {
            var next = -1
            var child = node + 1
            let end = Int(nodes[node].end)
            while child < end && child < nodes.count {
                if Int(nodes[child].parent) == node && contains(child, address) { next = child }
                child += 1
            }
            if next < 0 { break }
            node = next
        }
        var result: [Int] = []
        var k = node
        while k >= 0 && result.count < 1024 {
            result.append(k)
            if nodes[k].isSubprogram { break }
            k = Int(nodes[k].parent)
        }
        return result
    }
}
