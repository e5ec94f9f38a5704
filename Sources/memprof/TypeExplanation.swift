import Memprof

/// The sentence `memprof explain --types` adds: which Swift types hold the live heap at exit.
struct TypeExplanation {
    var census: TypeCensus
    /// Live bytes of the whole malloc heap (exact counters), for the shares.
    var liveBytes: UInt64
    var shown = 5

    var text: String {
        let objects = census.types.filter { $0.liveBytes > 0 }
        guard !objects.isEmpty else {
            return "No Swift object was live at exit (type census): the live heap is C, C++ or runtime memory.\n"
        }
        let total = objects.reduce(Int64(0)) { $0 + $1.liveBytes }
        var out = "Swift objects hold \(Memprof.formatBytes(total)) of the \(Memprof.formatBytes(liveBytes)) live at exit"
        out += " (\(share(total))), in \(objects.count) types; the largest:\n"
        for t in objects.prefix(shown) {
            let count = t.liveObjects == 1 ? "1 object" : "\(grouped(UInt64(max(t.liveObjects, 0)))) objects"
            out += "  \(Memprof.formatBytes(t.liveBytes)) (\(share(t.liveBytes))) in \(count) of \(t.name)\n"
        }
        let rest = objects.dropFirst(shown).reduce(Int64(0)) { $0 + $1.liveBytes }
        if rest > 0 { out += "  \(Memprof.formatBytes(rest)) in the \(objects.count - shown) other types\n" }
        return out
    }

    private func share(_ bytes: Int64) -> String {
        guard liveBytes > 0 else { return "-" }
        let p = Double(bytes) * 100 / Double(liveBytes)
        return p >= 10 ? "\(Int(p.rounded()))%" : String(format: "%.1f%%", p)
    }
}
