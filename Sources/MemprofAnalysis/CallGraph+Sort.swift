import MemprofProfile

extension CallGraph {
    /// Report order: by absolute flat value (or cumulative with `cumulative`), largest first;
    /// ties by name, then by the other value, then by every identifying field.
    mutating func sortNodes(cumulative: Bool) {
        let keyed = nodes.map { i -> (i: Int, name: String, primary: Int64, secondary: Int64) in
            let n = allNodes[i]
            return cumulative ? (i, n.info.sortingName, abs64(n.cum), abs64(n.flat))
                : (i, n.info.sortingName, abs64(n.flat), abs64(n.cum))
        }
        let sorted = keyed.sorted { a, b in
            if a.primary != b.primary { return a.primary > b.primary }
            if a.name != b.name { return a.name.goLess(b.name) }
            if a.secondary != b.secondary { return a.secondary > b.secondary }
            return allNodes[a.i].info.goDescription.goLess(allNodes[b.i].info.goDescription)
        }
        nodes = sorted.map(\.i)
    }

    /// Which nodes (by index into `allNodes`) are graph nodes with an absolute cumulative
    /// value of at least `cutoff`, and how many.
    func nodes(atLeast cutoff: Int64) -> (keep: [Bool], count: Int) {
        var keep = [Bool](repeating: false, count: allNodes.count)
        var count = 0
        for n in nodes where abs64(allNodes[n].cum) >= cutoff {
            keep[n] = true
            count += 1
        }
        return (keep, count)
    }
}

/// A graph trimmed for a report, and what trimming removed.
struct TrimmedGraph {
    var graph: CallGraph
    /// Number of nodes before the node count limit.
    var originalCount: Int
    /// Number of nodes dropped by the node fraction.
    var droppedNodes: Int
}

extension PreparedReport {
    /// Builds the report's graph: drops nodes below the node fraction of the total, sorts,
    /// keeps the first `nodeCount` nodes, and drops light edges (pprof `newTrimmedGraph`).
    ///
    /// Only the final graph gets edges: outside pprof's visual (dot) mode, which nodes are
    /// kept depends on node values alone, and every rebuild starts again from the samples.
    func trimmedGraph() -> TrimmedGraph {
        let o = options
        let full = CallGraph(profile, valueIndex: valueIndex, dropNegative: o.dropNegative, edges: false, mean: o.mean)
        var g = full
        let totalValue = g.flatSum
        let nodeCutoff = abs64(goInt64(Double(totalValue) * o.nodeFraction))
        let edgeCutoff = abs64(goInt64(Double(totalValue) * o.edgeFraction))
        var dropped = 0
        if nodeCutoff > 0 {
            let kept = g.nodes(atLeast: nodeCutoff)
            if g.nodes.count != kept.count {
                dropped = g.nodes.count - kept.count
                g = full.restricted(to: kept.keep, profile, valueIndex: valueIndex, dropNegative: o.dropNegative,
                                    edges: false)
            }
        }
        let originalCount = g.nodes.count
        g.sortNodes(cumulative: o.cumulative)
        if let count = o.nodeCount, count > 0, g.nodes.count > count {
            var top = [Bool](repeating: false, count: g.allNodes.count)
            for n in g.nodes.prefix(count) { top[n] = true }
            g = full.restricted(to: top, profile, valueIndex: valueIndex, dropNegative: o.dropNegative, edges: false)
            g.sortNodes(cumulative: o.cumulative)
        }
        g.buildEdges(profile, valueIndex: valueIndex)
        g.trimEdges(below: edgeCutoff)
        return TrimmedGraph(graph: g, originalCount: originalCount, droppedNodes: dropped)
    }
}
