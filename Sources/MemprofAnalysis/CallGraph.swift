/// What identifies a report entry: a function, or a finer place (line, address) in one.
struct NodeInfo: Hashable, Sendable {
    var name: String = ""
    var originalName: String = ""
    /// The name before readable names shortened it (empty when they did not): two functions
    /// whose short names agree stay two entries, and ties sort as go tool pprof sorts them.
    var fullName: String = ""
    var address: UInt64 = 0
    var file: String = ""
    var startLine: Int64 = 0
    var lineNumber: Int64 = 0
    var objectFile: String = ""

    /// The entry's name as reports print it: address, function name, then `file:line`, the
    /// file, `[object file]` or `<unknown>`, whichever is the most precise available.
    var printableName: String { printable(name) }

    /// `printableName` with the full name: the order go tool pprof gives entries of equal value.
    var sortingName: String { printable(fullName.isEmpty ? name : fullName) }

    private func printable(_ name: String) -> String {
        var parts: [String] = []
        if address != 0 { parts.append(GoFormat.hex16(address)) }
        if !name.isEmpty { parts.append(name) }
        if lineNumber != 0 {
            parts.append("\(file):\(lineNumber)")
        } else if !file.isEmpty {
            parts.append(file)
        } else if name.isEmpty {
            // Nothing but the object file, or nothing at all.
            parts.append(objectFile.isEmpty ? "<unknown>" : "[" + GoPath.base(objectFile) + "]")
        }
        return parts.joined(separator: " ")
    }

    /// Go's `fmt.Sprint` of pprof's NodeInfo: the last tie-breaker when sorting.
    var goDescription: String {
        "{\(name) \(originalName) \(address) \(file) \(startLine) \(lineNumber) \(objectFile)}"
    }
}

/// A call graph: one node per report entry with its flat value (samples where it is the
/// leaf) and cumulative value (samples where it appears anywhere; a node that appears twice
/// in one stack counts once), and the caller-to-callee edges between nodes.
///
/// Construction is in `CallGraph+Build.swift`; edges are numbered densely and each node's
/// incoming and outgoing edges are kept as ranges of one array (`EdgeLists`).
struct CallGraph: Sendable {
    /// One entry of the graph.
    struct Node: Sendable {
        var info: NodeInfo
        var flat: Int64 = 0
        var cum: Int64 = 0
        /// With `mean`: the sums of the first sample values (counts) behind `flat` and `cum`.
        var flatDiv: Int64 = 0
        var cumDiv: Int64 = 0

        /// The flat value a report shows: `flat`, or with `mean` its mean per count.
        var flatValue: Int64 { flatDiv == 0 ? flat : flat.dividedReportingOverflow(by: flatDiv).partialValue }
        /// The cumulative value a report shows: `cum`, or with `mean` its mean per count.
        var cumValue: Int64 { cumDiv == 0 ? cum : cum.dividedReportingOverflow(by: cumDiv).partialValue }
    }

    /// A caller-to-callee edge.
    struct Edge: Sendable {
        var weight: Int64
        /// The edge skips frames that are not in the graph.
        var residual: Bool
        /// The call was inlined into the caller.
        var inline: Bool
    }

    /// An edge with its ends, and whether trimming removed it.
    struct EdgeRecord: Sendable {
        var caller: Int32
        var callee: Int32
        var edge: Edge
        var removed = false
    }

    /// For each node, the numbers of its edges: node `n`'s are `list[start[n] ..< start[n + 1]]`.
    struct EdgeLists: Sendable {
        var start: [Int32] = [0]
        var list: [Int32] = []

        func of(_ n: Int) -> Range<Int> { Int(start[n]) ..< Int(start[n + 1]) }
    }

    /// Every node created, including those with no value.
    var allNodes: [Node]
    /// The nodes of the graph, indices into `allNodes`, in report order once sorted.
    var nodes: [Int]
    /// Where each location's frames are in `frameNodes`: location `l`'s are
    /// `frameNodes[frameStart[l] ..< frameStart[l + 1]]`, innermost first.
    let frameStart: [Int32]
    /// Node of each frame, -1 for a frame left out of the graph.
    let frameNodes: [Int32]
    /// Values are also summed as `mean` divisors (the samples' first values).
    var mean = false
    /// The edges, numbered densely; empty until `buildEdges` when built without them.
    private(set) var edges: [EdgeRecord] = []
    private(set) var hasEdges = false
    private var edgeTable = EdgeTable()
    private var incoming = EdgeLists()
    private var outgoing = EdgeLists()

    init(allNodes: [Node], frameStart: [Int32], frameNodes: [Int32]) {
        self.allNodes = allNodes
        self.nodes = []
        self.frameStart = frameStart
        self.frameNodes = frameNodes
    }

    /// The edge from `caller` to `callee`, if any (and not trimmed).
    func edge(from caller: Int, to callee: Int) -> Edge? {
        guard let e = edgeTable.find(caller, callee), !edges[e].removed else { return nil }
        return edges[e].edge
    }

    /// Sets the edges and indexes them by callee and by caller.
    mutating func setEdges(_ records: [EdgeRecord], table: EdgeTable) {
        edges = records
        edgeTable = table
        hasEdges = true
        incoming = Self.lists(records, count: allNodes.count) { Int($0.callee) }
        outgoing = Self.lists(records, count: allNodes.count) { Int($0.caller) }
    }

    private static func lists(_ records: [EdgeRecord], count: Int, by end: (EdgeRecord) -> Int) -> EdgeLists {
        var start = [Int32](repeating: 0, count: count + 1)
        for r in records { start[end(r) + 1] += 1 }
        for i in 0 ..< count { start[i + 1] += start[i] }
        var next = start
        var list = [Int32](repeating: 0, count: records.count)
        for (e, r) in records.enumerated() {
            let n = end(r)
            list[Int(next[n])] = Int32(truncatingIfNeeded: e)
            next[n] += 1
        }
        return EdgeLists(start: start, list: list)
    }

    /// Sum of the flat values of the graph's nodes.
    var flatSum: Int64 { nodes.reduce(0) { $0 &+ allNodes[$1].flat } }
    /// Sum of the flat values the report shows (means with `mean`).
    var flatValueSum: Int64 { nodes.reduce(0) { $0 &+ allNodes[$1].flatValue } }

    /// Removes edges into the graph's nodes lighter than `cutoff` (absolute weight); returns
    /// how many.
    @discardableResult
    mutating func trimEdges(below cutoff: Int64) -> Int {
        var inGraph = [Bool](repeating: false, count: allNodes.count)
        for n in nodes { inGraph[n] = true }
        var dropped = 0
        for e in edges.indices where !edges[e].removed && inGraph[Int(edges[e].callee)]
            && abs64(edges[e].edge.weight) < cutoff {
            edges[e].removed = true
            dropped += 1
        }
        return dropped
    }

    /// `(inline)` when every remaining caller inlined the node, `(partial-inline)` when some
    /// did, else empty.
    func inlineLabel(_ n: Int) -> String {
        guard hasEdges else { return "" }
        var inline = false, notInline = false
        for k in incoming.of(n) {
            let r = edges[Int(incoming.list[k])]
            if r.removed { continue }
            if r.edge.inline { inline = true } else { notInline = true }
        }
        if !inline { return "" }
        return notInline ? "(partial-inline)" : "(inline)"
    }

    /// Edges into (`incoming`) or out of a node, heaviest first, ties by caller then callee
    /// name.
    func sortedEdges(of n: Int, incoming: Bool) -> [(node: Int, edge: Edge)] {
        guard hasEdges else { return [] }
        let lists = incoming ? self.incoming : outgoing
        var list: [(node: Int, edge: Edge, from: String, to: String)] = []
        for k in lists.of(n) {
            let r = edges[Int(lists.list[k])]
            if r.removed { continue }
            let caller = Int(r.caller), callee = Int(r.callee)
            list.append((incoming ? caller : callee, r.edge, allNodes[caller].info.printableName,
                         allNodes[callee].info.printableName))
        }
        list.sort { a, b in
            if a.edge.weight != b.edge.weight { return abs64(a.edge.weight) > abs64(b.edge.weight) }
            if a.from != b.from { return a.from.goLess(b.from) }
            return a.to.goLess(b.to)
        }
        return list.map { ($0.node, $0.edge) }
    }
}

extension AnalysisProfile {
    /// The identities of a location's frames, innermost (inlined) first; a location without
    /// lines gives one frame named after its address and object file.
    func nodeInfos(of li: Int, objectNames: Bool) -> [NodeInfo] {
        let loc = locations[li]
        let objfile = objectFile(of: loc)
        if loc.lines.isEmpty { return [NodeInfo(address: loc.address, objectFile: objfile)] }
        return loc.lines.map { line in
            let f = functions[line.function]
            var info = NodeInfo(name: f.name, address: loc.address, lineNumber: line.line)
            if let fullNames, line.function < fullNames.count, fullNames[line.function] != f.name {
                info.fullName = fullNames[line.function]
            }
            if !f.filename.isEmpty { info.file = GoPath.clean(f.filename) }
            if objectNames || info.name.isEmpty {
                info.objectFile = objfile
                info.startLine = f.startLine
            }
            return info
        }
    }
}

@inline(__always)
func abs64(_ v: Int64) -> Int64 { v < 0 ? 0 &- v : v }
