/// The steps pprof's driver applies between reading a profile and building a report: name
/// clean-up, `drop_frames` pruning, the sample filters and aggregation to a granularity.
extension AnalysisProfile {
    /// Fills in and simplifies function names as pprof's symbolizer does for names it cannot
    /// demangle: an empty name becomes the system name, and names that look like demangled
    /// C++ lose their parameter and template lists.
    mutating func simplifyNames() {
        for i in functions.indices {
            let f = functions[i]
            if !f.name.isEmpty && f.systemName != f.name { continue }
            var name = f.systemName
            if looksLikeDemangledCPlusPlus(name) { name = withoutCxxParameters(name) }
            functions[i].name = name
        }
    }

    /// Forgets mapping file names that are URLs (pprof keeps those only as symbolization
    /// sources); a mapping with a build ID keeps its name.
    mutating func clearURLMappingFiles() {
        for i in mappings.indices where mappings[i].buildID.isEmpty && hasURLScheme(mappings[i].file) {
            mappings[i].file = ""
        }
    }

    /// Applies the profile's own `drop_frames` / `keep_frames` (pprof `RemoveUninteresting`).
    mutating func removeUninteresting() throws {
        guard !dropFrames.isEmpty else { return }
        let drop = try GoRegex("^(" + dropFrames + ")$", option: "drop_frames")
        let keep = keepFrames.isEmpty ? nil : try GoRegex("^(" + keepFrames + ")$", option: "keep_frames")
        var prune = Set<Int>(), pruneBeneath = Set<Int>()
        for li in locations.indices {
            let lines = locations[li].lines
            guard let i = lines.indices.reversed().first(where: { idx in
                let name = functions[lines[idx].function].name
                guard !name.isEmpty else { return false }
                let simple = simplifiedFunctionName(name)
                return drop.matches(simple) && !(keep?.matches(simple) ?? false)
            }) else { continue }
            pruneBeneath.insert(li)
            if i == lines.count - 1 {
                prune.insert(li)
            } else {
                locations[li].lines = Array(lines[(i + 1)...])
            }
        }
        for si in samples.indices {
            let locs = samples[si].locations
            var foundUser = false
            for i in locs.indices.reversed() {
                let id = locs[i]
                if !prune.contains(id) && !pruneBeneath.contains(id) {
                    foundUser = true
                    continue
                }
                if !foundUser { continue }
                if prune.contains(id) {
                    samples[si].locations = Array(locs[(i + 1)...])
                    break
                }
                samples[si].locations = Array(locs[i...])
                break
            }
        }
    }

    /// Sum of the absolute values of one sample value (pprof's report total). When some
    /// samples are marked as the base of a diff (`pprof::base`), only those count.
    func total(valueIndex: Int, meanOf mean: Bool = false) -> Int64 {
        var total: Int64 = 0, diffTotal: Int64 = 0
        // With `mean`, the first values' sums divide the totals (pprof's computeTotal).
        var div: Int64 = 0, diffDiv: Int64 = 0
        for s in samples {
            var v = s.values[valueIndex]
            if v < 0 { v = 0 &- v }
            let d = mean ? s.values[0] : 0
            total = total &+ v
            div = div &+ d
            if s.labels["pprof::base"]?.first == "true" {
                diffTotal = diffTotal &+ v
                diffDiv = diffDiv &+ d
            }
        }
        if diffTotal > 0 {
            total = diffTotal
            div = diffDiv
        }
        return div != 0 ? total.dividedReportingOverflow(by: div).partialValue : total
    }

    /// Applies focus, ignore, hide, show, show_from, the tag filters and prune_from, in pprof's
    /// order (`applyFocus`). Samples left without frames are removed. Returns pprof's warnings
    /// for filters that matched nothing (`Focus expression matched no samples`).
    @discardableResult
    mutating func applyFilters(_ o: ReportOptions) throws -> [String] {
        // All compiled first, so that a bad one fails before any work (pprof's order).
        let focus = try GoRegex.compile(o.focus, option: "focus")
        let ignore = try GoRegex.compile(o.ignore, option: "ignore")
        let hide = try GoRegex.compile(o.hide, option: "hide")
        let show = try GoRegex.compile(o.show, option: "show")
        let showFrom = try GoRegex.compile(o.showFrom, option: "show_from")
        let tagFocus = try TagFilter(o.tagFocus, option: "tagfocus", samples: samples)
        let tagIgnore = try TagFilter(o.tagIgnore, option: "tagignore", samples: samples)
        let pruneFrom = try GoRegex.compile(o.pruneFrom, option: "prune_from")
        var matched: [(name: String, given: Bool, matched: Bool)] = []

        var focusOrIgnore: [Int: Bool] = [:]
        var hidden = Set<Int>()
        var (focusMatched, ignoreMatched, hideMatched, showMatched) = (false, false, false, false)
        for li in locations.indices {
            if let ignore, matchesName(li, ignore) {
                focusOrIgnore[li] = false
                ignoreMatched = true
            } else if focus == nil || matchesName(li, focus!) {
                focusOrIgnore[li] = true
                focusMatched = true
            }
            if let hide, matchesName(li, hide) {
                hideMatched = true
                locations[li].lines = filterLines(li, hide, keepMatching: false)
                if locations[li].lines.isEmpty { hidden.insert(li) }
            }
            if let show {
                locations[li].lines = filterLines(li, show, keepMatching: true)
                if locations[li].lines.isEmpty { hidden.insert(li) } else { showMatched = true }
            }
        }
        matched += [("Focus", focus != nil, focusMatched), ("Ignore", ignore != nil, ignoreMatched),
                    ("Hide", hide != nil, hideMatched), ("Show", show != nil, showMatched)]
        samples = samples.compactMap { s in
            var focused = false
            for l in s.locations {
                guard let f = focusOrIgnore[l] else { continue }
                if !f { return nil }
                focused = true
            }
            guard focused else { return nil }
            var s = s
            if !hidden.isEmpty {
                s.locations.removeAll { hidden.contains($0) }
                if s.locations.isEmpty { return nil }
            }
            return s
        }
        if let showFrom { matched.append(("ShowFrom", true, applyShowFrom(showFrom))) }
        // Tags are tested on the samples the name filters left, as pprof does.
        let tagFocusMatched = tagFocus.map { f in samples.contains { f.matches($0) } } ?? true
        let tagIgnoreMatched = tagIgnore.map { f in samples.contains { f.matches($0) } } ?? true
        if tagFocus != nil || tagIgnore != nil {
            samples.removeAll { s in !(tagFocus?.matches(s) ?? true) || (tagIgnore?.matches(s) ?? false) }
        }
        matched += [("TagFocus", tagFocus != nil, tagFocusMatched), ("TagIgnore", tagIgnore != nil, tagIgnoreMatched)]
        if let pruneFrom { applyPruneFrom(pruneFrom) }
        return matched.filter { $0.given && !$0.matched }.map { $0.name + " expression matched no samples" }
    }

    /// pprof `PruneFrom`: a location whose function (argument list removed) matches keeps that
    /// line and its callers; a sample keeps its stack from the first such location, leaf end.
    private mutating func applyPruneFrom(_ rx: GoRegex) {
        var pruneBeneath = Set<Int>()
        for li in locations.indices {
            let lines = locations[li].lines
            if let i = lines.indices.first(where: { idx in
                let name = functions[lines[idx].function].name
                return !name.isEmpty && rx.matches(simplifiedFunctionName(name))
            }) {
                pruneBeneath.insert(li)
                locations[li].lines = Array(lines[i...])
            }
        }
        for si in samples.indices {
            if let i = samples[si].locations.firstIndex(where: { pruneBeneath.contains($0) }) {
                samples[si].locations = Array(samples[si].locations[i...])
            }
        }
    }

    /// Returns whether any location matched.
    private mutating func applyShowFrom(_ rx: GoRegex) -> Bool {
        var matched = Set<Int>()
        for li in locations.indices {
            if let m = locations[li].mapping, rx.matches(mappings[m].file) {
                matched.insert(li)
                continue
            }
            let lines = locations[li].lines
            if let i = lines.indices.reversed().first(where: { idx in
                let f = functions[lines[idx].function]
                return rx.matches(f.name) || rx.matches(f.filename)
            }) {
                locations[li].lines = Array(lines[...i])
                matched.insert(li)
            }
        }
        samples = samples.compactMap { s in
            guard let i = s.locations.lastIndex(where: { matched.contains($0) }) else { return nil }
            var s = s
            s.locations = Array(s.locations[...i])
            return s
        }
        return !matched.isEmpty
    }

    private func matchesName(_ li: Int, _ rx: GoRegex) -> Bool {
        for line in locations[li].lines {
            let f = functions[line.function]
            if rx.matches(f.name) || rx.matches(f.filename) { return true }
        }
        if let m = locations[li].mapping, rx.matches(mappings[m].file) { return true }
        return false
    }

    /// The lines of a location that match (or do not match) `rx`; a matching mapping file
    /// counts as a match of every line.
    private func filterLines(_ li: Int, _ rx: GoRegex, keepMatching: Bool) -> [Line] {
        if let m = locations[li].mapping, rx.matches(mappings[m].file) {
            return keepMatching ? locations[li].lines : []
        }
        return locations[li].lines.filter { line in
            let f = functions[line.function]
            return (rx.matches(f.name) || rx.matches(f.filename)) == keepMatching
        }
    }

    /// Forgets what the granularity does not show (pprof `Profile.Aggregate`).
    mutating func aggregate(_ granularity: Granularity, inlines: Bool) {
        var function = false, filename = false, lineNumber = false, address = false
        switch granularity {
        case .addresses:
            if inlines { return }
            (function, filename, lineNumber, address) = (true, true, true, true)
        case .lines: (function, filename, lineNumber) = (true, true, true)
        case .files: filename = true
        case .functions: function = true
        case .fileFunctions: (function, filename) = (true, true)
        }
        if !function { fullNames = nil }
        for i in functions.indices {
            if !function {
                functions[i].name = ""
                functions[i].systemName = ""
            }
            if !filename { functions[i].filename = "" }
        }
        for i in locations.indices {
            if !inlines && locations[i].lines.count > 1 {
                locations[i].lines = [locations[i].lines.last!]
            }
            if !lineNumber {
                for j in locations[i].lines.indices { locations[i].lines[j].line = 0 }
            }
            if !address { locations[i].address = 0 }
        }
    }
}

/// A function name without its argument list, for matching against `drop_frames`.
func simplifiedFunctionName(_ name: String) -> String {
    var bytes = Array(name.utf8)
    if bytes.first == UInt8(ascii: ".") { bytes.removeFirst() }
    let reserved: [[UInt8]] = [Array("(anonymous namespace)".utf8), Array("operator()".utf8)]
    var i = 0
    scan: while i < bytes.count {
        for r in reserved where bytes[i...].starts(with: r) {
            i += r.count
            continue scan
        }
        if bytes[i] == UInt8(ascii: "(") {
            bytes.removeSubrange(i...)
            break
        }
        i += 1
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A demangled C++ name without its parameter and template lists, as pprof shows them.
func withoutCxxParameters(_ name: String) -> String {
    let noParameters = removeMatching(name, open: UInt8(ascii: "("), close: UInt8(ascii: ")"))
    return removeMatching(noParameters, open: UInt8(ascii: "<"), close: UInt8(ascii: ">"))
}

private func looksLikeDemangledCPlusPlus(_ s: String) -> Bool {
    if s.contains(".<") || s.contains("]).") { return false }
    return s.contains(where: { "<>[]".contains($0) }) || s.contains("::")
}

/// Removes nested `open ... close` groups; leaves the name unchanged if they do not balance.
private func removeMatching(_ name: String, open: UInt8, close: UInt8) -> String {
    var bytes = Array(name.utf8)
    var nesting = 0, first = 0, i = 0
    while i < bytes.count {
        if bytes[i] == open {
            nesting += 1
            if nesting == 1 { first = i }
        } else if bytes[i] == close {
            nesting -= 1
            if nesting < 0 { return name }
            if nesting == 0 {
                bytes.removeSubrange(first...i)
                i = first
                continue
            }
        }
        i += 1
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Whether `s` starts with a URL scheme (`letter *(letter / digit / "+" / "-" / ".") ":"`).
private func hasURLScheme(_ s: String) -> Bool {
    var first = true
    for c in s.utf8 {
        let letter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
        if c == UInt8(ascii: ":") { return !first }
        if first ? !letter : !(letter || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2D || c == 0x2E) {
            return false
        }
        first = false
    }
    return false
}
