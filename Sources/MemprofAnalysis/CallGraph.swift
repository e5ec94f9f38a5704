/// What identifies a report entry: a function, or a finer place (line, address) in one.
struct NodeInfo: Hashable, Sendable {
    var name: String = ""
    var originalName: String = ""
    var address: UInt64 = 0
    var file: String = ""
    var startLine: Int64 = 0
    var lineNumber: Int64 = 0
    var objectFile: String = ""

    /// The entry's name as reports print it: address, function name, then `file:line`, the
    /// file, `[object file]` or `<unknown>`, whichever is the most precise available.
    var printableName: String {
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
struct CallGraph: Sendable {
    /// One entry of the graph.
    struct Node: Sendable {
        var info: NodeInfo
        var flat: Int64 = 0
        var cum: Int64 = 0
        /// Callers of this node (indices into `allNodes`).
        var callers: Set<Int> = []
        /// Callees of this node (indices into `allNodes`).
        var callees: Set<Int> = []
    }

    /// A caller-to-callee edge.
    struct Edge: Sendable {
        var weight: Int64
        /// The edge skips frames that are not in the graph.
        var residual: Bool
        /// The call was inlined into the caller.
        var inline: Bool
    }

    struct EdgeKey: Hashable {
        var caller: Int
        var callee: Int
    }

    /// Every node created, including those with no value.
    var allNodes: [Node]
    /// The nodes of the graph, indices into `allNodes`, in report order once sorted.
    var nodes: [Int]
    var edges: [EdgeKey: Edge]

    /// The edge from `caller` to `callee`, if any.
    func edge(from caller: Int, to callee: Int) -> Edge? {
        edges[EdgeKey(caller: caller, callee: callee)]
    }

    /// Builds the graph of one sample value. When `kept` is given, nodes outside it are left
    /// out and the edges around them are marked residual.
    init(_ p: AnalysisProfile, valueIndex: Int, kept: Set<NodeInfo>? = nil, objectNames: Bool = false,
         dropNegative: Bool = false) {
        allNodes = []
        nodes = []
        edges = [:]
        var index: [NodeInfo: Int] = [:]
        var locationNodes: [[Int?]] = []
        locationNodes.reserveCapacity(p.locations.count)
        for loc in p.locations.indices {
            var list: [Int?] = []
            for info in p.nodeInfos(of: loc, objectNames: objectNames) {
                if let kept, !kept.contains(info) {
                    list.append(nil)
                } else if let i = index[info] {
                    list.append(i)
                } else {
                    index[info] = allNodes.count
                    list.append(allNodes.count)
                    allNodes.append(Node(info: info))
                }
            }
            locationNodes.append(list)
        }

        var seenNodes = Set<Int>(), seenEdges = Set<EdgeKey>()
        for s in p.samples {
            let w = s.values[valueIndex]
            if w == 0 { continue }
            seenNodes.removeAll(keepingCapacity: true)
            seenEdges.removeAll(keepingCapacity: true)
            var parent: Int?
            var residual = false
            for loc in s.locations.reversed() {
                let list = locationNodes[loc]
                for ni in list.indices.reversed() {
                    guard let n = list[ni] else {
                        residual = true
                        continue
                    }
                    if seenNodes.insert(n).inserted { allNodes[n].cum &+= w }
                    if let parent, parent != n {
                        let key = EdgeKey(caller: parent, callee: n)
                        if seenEdges.insert(key).inserted {
                            addToEdge(key, weight: w, residual: residual, inline: ni != list.count - 1)
                        }
                    }
                    parent = n
                    residual = false
                }
            }
            if let parent, !residual { allNodes[parent].flat &+= w }
        }
        nodes = allNodes.indices.filter { i in
            let n = allNodes[i]
            if n.cum == 0 && n.flat == 0 { return false }
            if dropNegative && (n.flat < 0 || (n.flat == 0 && n.cum < 0)) { return false }
            return true
        }
    }

    private mutating func addToEdge(_ key: EdgeKey, weight: Int64, residual: Bool, inline: Bool) {
        if var e = edges[key] {
            e.weight &+= weight
            if residual { e.residual = true }
            if !inline { e.inline = false }
            edges[key] = e
            return
        }
        edges[key] = Edge(weight: weight, residual: residual, inline: inline)
        allNodes[key.caller].callees.insert(key.callee)
        allNodes[key.callee].callers.insert(key.caller)
    }

    /// Sum of the flat values of the graph's nodes.
    var flatSum: Int64 { nodes.reduce(0) { $0 &+ allNodes[$1].flat } }

    /// Removes edges lighter than `cutoff` (absolute weight); returns how many.
    @discardableResult
    mutating func trimEdges(below cutoff: Int64) -> Int {
        var dropped = 0
        for n in nodes {
            for caller in allNodes[n].callers {
                let key = EdgeKey(caller: caller, callee: n)
                guard let e = edges[key], abs64(e.weight) < cutoff else { continue }
                edges[key] = nil
                allNodes[n].callers.remove(caller)
                allNodes[caller].callees.remove(n)
                dropped += 1
            }
        }
        return dropped
    }

    /// `(inline)` when every remaining caller inlined the node, `(partial-inline)` when some
    /// did, else empty.
    func inlineLabel(_ n: Int) -> String {
        var inline = false, notInline = false
        for caller in allNodes[n].callers {
            if edges[EdgeKey(caller: caller, callee: n)]?.inline == true { inline = true } else { notInline = true }
        }
        if !inline { return "" }
        return notInline ? "(partial-inline)" : "(inline)"
    }

    /// Edges into (`incoming`) or out of a node, heaviest first, ties by caller then callee
    /// name.
    func sortedEdges(of n: Int, incoming: Bool) -> [(node: Int, edge: Edge)] {
        let others = incoming ? allNodes[n].callers : allNodes[n].callees
        var list: [(node: Int, edge: Edge, from: String, to: String)] = others.map { o in
            let key = incoming ? EdgeKey(caller: o, callee: n) : EdgeKey(caller: n, callee: o)
            return (o, edges[key]!, allNodes[key.caller].info.printableName, allNodes[key.callee].info.printableName)
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
