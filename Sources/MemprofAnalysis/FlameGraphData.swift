import MemprofProfile

/// The call trees a flame graph draws, one per sample type, sharing one table of names.
///
/// Each tree starts at `root`; a node's children are the frames called from it, merged by
/// name and sorted by name. A node's `value` is the signed sum of the samples below it (what
/// the page prints; negative where a diff shrank) and its `width` the sum, over the stacks
/// below it, of each stack's absolute net value (what the page draws), so a diff's growth and
/// shrinkage both show and never cancel out of sight.
struct FlameGraphData {
    struct Node {
        var name: Int
        var width: Int64 = 0
        var value: Int64 = 0
        var children: [Int] = []
    }

    struct Tree {
        var sampleType: ValueType
        /// pprof's total for percentages (the base's total in a `-diff_base` comparison).
        var total: Int64
        var nodes: [Node]
    }

    /// Full names (as the profile gives them) and readable ones, by name index.
    var fullNames: [String] = ["root"]
    var shortNames: [String] = ["root"]
    var trees: [Tree] = []
    /// The tree of the sample type the options select.
    var initialTree = 0
    /// Whether the page starts with full names (`ReportOptions.fullNames`, or a profile with
    /// full names in `name` read without `simplifyNames`).
    var startWithFullNames = false
    /// The first mapping's file, for the title.
    var mainFile = ""

    /// pprof's warnings about filters that matched nothing.
    var warnings: [String] = []

    private var nameIndex: [String: Int] = ["root": 0]

    /// The trees of every sample type of `profile`, filtered and grouped as `options` say.
    init(_ profile: Profile, options: ReportOptions) throws {
        // Widths are totals: a flame graph has no place for means (`mean` is ignored).
        var options = options
        options.mean = false
        let chosen = try PreparedReport(profile, options: options)
        initialTree = chosen.valueIndex
        warnings = chosen.warnings
        // Compact profiles open with their compact names (what go tool pprof shows), older
        // ones with the stored names unless asked to simplify; `fullNames` opens full.
        let compact = chosen.profile.nameViews?.compact ?? false
        startWithFullNames = options.fullNames || (!compact && !options.simplifyNames)
        mainFile = chosen.mainFile
        for t in profile.sampleTypes.indices {
            var o = options
            o.sampleIndex = String(t)
            trees.append(tree(t == chosen.valueIndex ? chosen : try PreparedReport(profile, options: o)))
        }
    }

    private mutating func tree(_ report: PreparedReport) -> Tree {
        let p = report.profile
        let views = p.nameViews ?? NameViews(stored: p.functions.map(\.name), compact: p.hasCompactSwiftNames)
        let (fullView, shortView) = (views.full(p.functions), views.short(p.functions))
        // Aggregation may have emptied names (file granularity): those stay empty.
        let full = p.functions.indices.map { p.functions[$0].name.isEmpty ? "" : fullView[$0] }
        let short = p.functions.indices.map { p.functions[$0].name.isEmpty ? "" : shortView[$0] }
        // Name indices of each location's frames, outermost first (for locations in use).
        var frames: [[Int]?] = Array(repeating: nil, count: p.locations.count)
        func framesOf(_ li: Int) -> [Int] {
            if let f = frames[li] { return f }
            let infos = p.nodeInfos(of: li, objectNames: false)
            let lines = p.locations[li].lines
            let f = infos.indices.reversed().map { k in
                var longInfo = infos[k], shortInfo = infos[k]
                if !lines.isEmpty {
                    longInfo.name = full[lines[k].function]
                    shortInfo.name = short[lines[k].function]
                }
                return name(longInfo.printableName, short: shortInfo.printableName)
            }
            frames[li] = f
            return f
        }
        var nodes = [Node(name: 0)]
        var childIndex: [[Int: Int]] = [[:]]
        for s in p.samples {
            let w = s.values[report.valueIndex]
            if w == 0 { continue }
            var current = 0
            nodes[0].value &+= w
            for loc in s.locations.reversed() {
                for n in framesOf(loc) {
                    if let next = childIndex[current][n] {
                        current = next
                    } else {
                        nodes.append(Node(name: n))
                        childIndex.append([:])
                        childIndex[current][n] = nodes.count - 1
                        nodes[current].children.append(nodes.count - 1)
                        current = nodes.count - 1
                    }
                    nodes[current].value &+= w
                }
            }
        }
        // Widths bottom up (children come after their parents): what a node's own stacks
        // add up to, positive or negative, plus its children's widths.
        for i in nodes.indices.reversed() {
            var own = nodes[i].value, width: Int64 = 0
            for c in nodes[i].children {
                own &-= nodes[c].value
                width &+= nodes[c].width
            }
            nodes[i].width = width &+ abs64(own)
        }
        let nodeNames = nodes.map { fullNames[$0.name] }
        for i in nodes.indices {
            nodes[i].children.sort { nodeNames[$0].goLess(nodeNames[$1]) }
        }
        return Tree(sampleType: report.sampleType, total: report.total, nodes: nodes)
    }

    private mutating func name(_ full: String, short: String) -> Int {
        if let i = nameIndex[full] { return i }
        nameIndex[full] = fullNames.count
        fullNames.append(full)
        shortNames.append(short)
        return fullNames.count - 1
    }

    /// The data as JSON, safe to embed in a `<script>` element:
    /// `{"names":[...],"short":[...],"initial":0,"fullNames":false,"types":[{"type","unit","total","units",
    /// "root":[name,width,value,[children]]}]}`. `units` lists `[factor, name]` pairs for
    /// printing values (`[[1,"B"],[1024,"kB"],...]`), empty for plain numbers.
    func json() -> String {
        var out = "{\"names\":" + JSON.array(fullNames.map(JSON.string))
        out += ",\n\"short\":" + JSON.array(shortNames.map(JSON.string))
        out += ",\n\"initial\":\(initialTree),\"fullNames\":\(startWithFullNames),\n\"types\":["
        for (i, t) in trees.enumerated() {
            if i > 0 { out += ",\n" }
            out += "{\"type\":" + JSON.string(t.sampleType.type) + ",\"unit\":" + JSON.string(t.sampleType.unit)
            out += ",\"total\":\(t.total),\"units\":" + Self.unitScale(t.sampleType.unit) + ",\"root\":"
            appendNode(0, of: t, to: &out)
            out += "}"
        }
        return out + "]}"
    }

    private func appendNode(_ i: Int, of t: Tree, to out: inout String) {
        // Iterative, so deep stacks cannot overflow the call stack.
        var stack: [(node: Int, child: Int)] = [(i, -1)]
        while let top = stack.last {
            let (n, c) = top
            let node = t.nodes[n]
            if c == -1 {
                out += "[\(node.name),\(node.width),\(node.value)"
                if !node.children.isEmpty { out += ",[" }
            }
            let next = c + 1
            if next < node.children.count {
                if next > 0 { out += "," }
                stack[stack.count - 1].child = next
                stack.append((node.children[next], -1))
            } else {
                out += node.children.isEmpty ? "]" : "]]"
                stack.removeLast()
            }
        }
    }

    /// `[factor, name]` pairs of the unit family of `unit`, factors in `unit`s.
    static func unitScale(_ unit: String) -> String {
        for family in Measurement.families {
            guard let u = family.find(unit) else { continue }
            return JSON.array(family.units.map { "[" + JSON.number($0.factor / u.factor) + "," + JSON.string($0.name) + "]" })
        }
        return "[]"
    }
}

/// Minimal JSON writing for embedding in HTML: `<`, `>`, `&` and line separators are
/// escaped so the text can never close its `<script>` element.
enum JSON {
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}", "\u{0}"..."\u{1F}":
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    /// A finite number, integral values without a fraction (`1024`, `1e-06`).
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return GoFormat.general(v, precision: 17)
    }
}
