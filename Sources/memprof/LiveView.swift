import Memprof
import MemprofAnalysis
import MemprofProfile

/// What `memprof live` shows: the totals of the latest reading and the top sites by the chosen
/// sample type, with each site's growth since the view started.
struct LiveView {
    /// How sites are ordered.
    enum Sort: String, CaseIterable {
        case value, growth
    }

    static let sampleTypes = ["inuse_space", "inuse_objects", "alloc_space", "alloc_objects"]

    var sampleType = "inuse_space"
    var sort = Sort.value
    /// Sites shown.
    var count = 10
    /// Names as stored, not shortened.
    var fullNames = false
    /// The frame names the keys (only on a terminal that reads them).
    var showsKeys = true
    /// Each site's value in the first profile, by sample type: growth is measured from it.
    private var baseline: [String: [String: Int64]] = [:]
    /// The first reading (for the allocation rate over the whole view).
    private var first: LiveSample?
    private var previous: LiveSample?
    /// The latest reading and its profile (the last one read).
    private var latest: LiveSample?
    private var profile: Profile?

    init(sampleType: String = "inuse_space", sort: Sort = .value, count: Int = 10, fullNames: Bool = false) {
        self.sampleType = sampleType
        self.sort = sort
        self.count = count
        self.fullNames = fullNames
    }

    /// Takes a reading in.
    mutating func add(_ sample: LiveSample) {
        if first == nil { first = sample }
        previous = latest
        latest = sample
        if let p = sample.profile {
            profile = p
            for type in Self.sampleTypes where baseline[type] == nil {
                if let values = sites(p, type) { baseline[type] = values }
            }
        }
    }

    /// The next sample type (key `s`).
    mutating func nextSampleType() {
        let i = Self.sampleTypes.firstIndex(of: sampleType) ?? 0
        sampleType = Self.sampleTypes[(i + 1) % Self.sampleTypes.count]
    }

    /// Flat value per function for `type`, with the same names and trimming as `memprof top`.
    private func sites(_ profile: Profile, _ type: String) -> [String: Int64]? {
        guard profile.sampleTypes.contains(where: { $0.type == type }) else { return nil }
        var options = ReportOptions(sampleIndex: type, nodeFraction: 0, simplifyNames: !fullNames)
        options.fullNames = fullNames
        options.nodeCount = nil
        guard let rows = try? TopReport().rows(ReportContext(profile: profile, options: options)).rows else { return nil }
        var result: [String: Int64] = [:]
        for row in rows { result[row.name, default: 0] += row.flat }
        return result
    }

    /// One frame of text: `width` columns wide, lines ending in "\n".
    func frame(title: String, width: Int = 100) -> String {
        guard let now = latest else { return "memprof live: \(title): waiting for the first reading\n" }
        var out = "memprof live: \(title)   \(formatSeconds(now.at))" + (now.exited ? "   exited" : "") + "\n"
        var rate = "-"
        if let previous, now.at > previous.at {
            let bytes = Double(now.allocatedBytes &- previous.allocatedBytes) / (now.at - previous.at)
            rate = Memprof.formatBytes(Int(bytes)) + "/s"
        }
        let rssBytes = Memprof.formatBytes(Int(now.residentBytes))
        let rss = !now.exited ? "RSS \(rssBytes)" : now.residentBytes > 0 ? "RSS at the last reading \(rssBytes)" : "RSS not read"
        out += "live heap \(Memprof.formatBytes(Int(now.liveBytes)))   \(rss)"
            + "   peak \(Memprof.formatBytes(Int(now.peakLiveBytes)))   allocating \(rate)"
            + "   allocated \(Memprof.formatBytes(Int(now.allocatedBytes)))\n"
        guard let profile, let values = sites(profile, sampleType) else {
            out += "(no sampled profile yet: sites appear once something is sampled)\n"
            return out
        }
        let base = baseline[sampleType] ?? [:]
        let isBytes = sampleType.hasSuffix("_space")
        let rows = values.map { (name: $0.key, value: $0.value, growth: $0.value - (base[$0.key] ?? 0)) }
            .filter { $0.value != 0 || $0.growth != 0 }
            .sorted { a, b in
                let (x, y) = sort == .value ? (a.value, b.value) : (a.growth, b.growth)
                return x != y ? x > y : a.name < b.name
            }
        out += "top sites by \(sampleType)" + (sort == .growth ? ", sorted by growth" : "")
            + (showsKeys ? " (keys: s sample type, o sort, q quit)" : "") + "\n"
        out += pad(sampleType, 12) + " " + pad("growth", 12) + "  site\n"
        let nameWidth = max(20, width - 27)
        for row in rows.prefix(count) {
            let value = isBytes ? Memprof.formatBytes(Int(row.value)) : String(row.value)
            let growth = (row.growth >= 0 ? "+" : "-") + (isBytes ? Memprof.formatBytes(Int(abs(row.growth))) : String(abs(row.growth)))
            let name = row.name.count > nameWidth ? String(row.name.prefix(nameWidth - 3)) + "..." : row.name
            out += pad(value, 12) + " " + pad(growth, 12) + "  " + name + "\n"
        }
        if rows.count > count { out += "(\(rows.count - count) more)\n" }
        return out
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    private func formatSeconds(_ s: Double) -> String {
        let tenths = Int((s * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
