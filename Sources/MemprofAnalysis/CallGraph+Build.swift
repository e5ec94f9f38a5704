extension CallGraph {
    /// Builds the graph of one sample value. When `kept` is given, nodes outside it are left
    /// out and the edges around them are marked residual. Without `edges`, only the nodes and
    /// their values are computed (`buildEdges` adds the edges later).
    /// With `mean`, nodes also sum their samples' first values (see `Node.flatValue`).
    init(_ p: AnalysisProfile, valueIndex: Int, kept: Set<NodeInfo>? = nil, objectNames: Bool = false,
         dropNegative: Bool = false, edges: Bool = true, mean: Bool = false) {
        self.init(nodesOf: p, objectNames: objectNames, kept: kept)
        accumulate(p, valueIndex: valueIndex, dropNegative: dropNegative, mean: mean)
        if edges { buildEdges(p, valueIndex: valueIndex) }
    }

    /// A graph with one node per distinct frame identity of `p` (those in `kept`, when
    /// given) and no values yet.
    private init(nodesOf p: AnalysisProfile, objectNames: Bool, kept: Set<NodeInfo>?) {
        var index: [NodeInfo: Int] = [:]
        var all: [Node] = []
        var start: [Int32] = [0]
        start.reserveCapacity(p.locations.count + 1)
        var frames: [Int32] = []
        frames.reserveCapacity(p.locations.count)
        for loc in p.locations.indices {
            for info in p.nodeInfos(of: loc, objectNames: objectNames) {
                if let kept, !kept.contains(info) {
                    frames.append(-1)
                } else if let i = index[info] {
                    frames.append(Int32(truncatingIfNeeded: i))
                } else {
                    index[info] = all.count
                    frames.append(Int32(truncatingIfNeeded: all.count))
                    all.append(Node(info: info))
                }
            }
            start.append(Int32(truncatingIfNeeded: frames.count))
        }
        self.init(allNodes: all, frameStart: start, frameNodes: frames)
    }

    /// The graph of the same profile with only the nodes whose `keep` entry is true, built
    /// like `init(_:valueIndex:kept:)` with their identities but without hashing them again.
    /// Node indices stay those of this graph, and so does `mean`.
    func restricted(to keep: [Bool], _ p: AnalysisProfile, valueIndex: Int, dropNegative: Bool,
                    edges: Bool = true) -> CallGraph {
        let frames = frameNodes.map { n in n >= 0 && keep[Int(n)] ? n : -1 }
        var all = allNodes
        for i in all.indices {
            all[i].flat = 0
            all[i].cum = 0
            all[i].flatDiv = 0
            all[i].cumDiv = 0
        }
        var g = CallGraph(allNodes: all, frameStart: frameStart, frameNodes: frames)
        g.accumulate(p, valueIndex: valueIndex, dropNegative: dropNegative, mean: self.mean)
        if edges { g.buildEdges(p, valueIndex: valueIndex) }
        return g
    }

    /// Adds every sample's value to the flat and cumulative values of its nodes (once per
    /// sample for the cumulative value), then lists the nodes with a value.
    private mutating func accumulate(_ p: AnalysisProfile, valueIndex: Int, dropNegative: Bool, mean: Bool) {
        self.mean = mean
        let count = allNodes.count
        var flat = [Int64](repeating: 0, count: count)
        var cum = [Int64](repeating: 0, count: count)
        var flatDiv = [Int64](repeating: 0, count: mean ? count : 0)
        var cumDiv = [Int64](repeating: 0, count: mean ? count : 0)
        // The last sample that added to each node's cumulative value.
        var seen = [Int](repeating: -1, count: count)
        frameStart.withUnsafeBufferPointer { start in
            frameNodes.withUnsafeBufferPointer { frames in
                for si in p.samples.indices {
                    let w = p.samples[si].values[valueIndex]
                    let d = mean ? p.samples[si].values[0] : 0
                    if w == 0 && d == 0 { continue }
                    var parent = -1
                    var residual = false
                    for loc in p.samples[si].locations.reversed() {
                        var k = Int(start[loc + 1])
                        let first = Int(start[loc])
                        while k > first {
                            k -= 1
                            let n = Int(frames[k])
                            if n < 0 {
                                residual = true
                                continue
                            }
                            if seen[n] != si {
                                seen[n] = si
                                cum[n] &+= w
                                if mean { cumDiv[n] &+= d }
                            }
                            parent = n
                            residual = false
                        }
                    }
                    if parent >= 0 && !residual {
                        flat[parent] &+= w
                        if mean { flatDiv[parent] &+= d }
                    }
                }
            }
        }
        for i in 0 ..< count {
            allNodes[i].flat = flat[i]
            allNodes[i].cum = cum[i]
            if mean {
                allNodes[i].flatDiv = flatDiv[i]
                allNodes[i].cumDiv = cumDiv[i]
            }
        }
        nodes = (0 ..< count).filter { i in
            if cum[i] == 0 && flat[i] == 0 { return false }
            if dropNegative && (flat[i] < 0 || (flat[i] == 0 && cum[i] < 0)) { return false }
            return true
        }
    }

    /// Computes the caller-to-callee edges: each sample adds its value once to every edge on
    /// its stack. An edge is residual when frames left out of the graph were skipped, and
    /// inline unless some sample's call went through the outermost frame of a location.
    mutating func buildEdges(_ p: AnalysisProfile, valueIndex: Int) {
        // Edges join consecutive frames of a sample and two distinct nodes: about this many at most.
        var frameCount = 0
        for s in p.samples.indices { frameCount += p.samples[s].locations.count }
        let nodeCount = allNodes.count
        let expected = min(frameCount, nodeCount < 1 << 20 ? nodeCount * nodeCount : .max)
        var table = EdgeTable(expected: expected)
        var records: [EdgeRecord] = []
        records.reserveCapacity(expected)
        // The last sample that added to each edge.
        var seen: [Int] = []
        seen.reserveCapacity(expected)
        frameStart.withUnsafeBufferPointer { start in
            frameNodes.withUnsafeBufferPointer { frames in
                for si in p.samples.indices {
                    let w = p.samples[si].values[valueIndex]
                    // With `mean`, a sample of value 0 still makes its edges (pprof's graph).
                    if w == 0 && (!mean || p.samples[si].values[0] == 0) { continue }
                    var parent = -1
                    var residual = false
                    for loc in p.samples[si].locations.reversed() {
                        let last = Int(start[loc + 1]) - 1
                        let first = Int(start[loc])
                        var k = last + 1
                        while k > first {
                            k -= 1
                            let n = Int(frames[k])
                            if n < 0 {
                                residual = true
                                continue
                            }
                            if parent >= 0 && parent != n {
                                let (e, inserted) = table.findOrInsert(parent, n)
                                if inserted {
                                    records.append(EdgeRecord(
                                        caller: Int32(truncatingIfNeeded: parent), callee: Int32(truncatingIfNeeded: n),
                                        edge: Edge(weight: 0, residual: false, inline: true)))
                                    seen.append(-1)
                                }
                                if seen[e] != si {
                                    seen[e] = si
                                    records[e].edge.weight &+= w
                                    if residual { records[e].edge.residual = true }
                                    if k == last { records[e].edge.inline = false }
                                }
                            }
                            parent = n
                            residual = false
                        }
                    }
                }
            }
        }
        setEdges(records, table: table)
    }
}
