import MemprofProfile

/// `memprof lifetimes`: how long the sampled blocks of each allocation site lived, from the
/// `lifetime` labels memprof writes (powers-of-ten classes, `live`, `unknown`) and the
/// `temporary_objects` sample type. A site is the leaf function of a sample's stack.
///
/// ```
///  allocated      freed       live  temporary   median      p90  site
///      20000      20000          0    100.0%      <1us  1us-10us  churnTemporaries
/// ```
public struct LifetimesReport: Report {
    public var name: String { "lifetimes" }
    /// Rows printed at most (the sites that allocated the most blocks first); 0: all.
    public var count: Int

    public init(count: Int = 20) { self.count = count }

    /// The lowest rate at which memprof times every sampled block (the hook's MP_TIME_ALL_RATE).
    static let timedAllRate: Int64 = 65_536

    /// The classes in order, shortest first (the values memprof writes).
    static let classes = ["<1us", "1us-10us", "10us-100us", "100us-1ms", "1ms-10ms", "10ms-100ms",
                          "100ms-1s", "1s-10s", "10s-100s", ">=100s"]

    struct Site {
        var name: String
        var allocated: Int64 = 0, live: Int64 = 0, unknown: Int64 = 0, temporaries: Int64 = 0
        var freedByClass = [Int64](repeating: 0, count: LifetimesReport.classes.count)
        var freed: Int64 { freedByClass.reduce(0, +) + unknown }

        /// The class holding the given quantile of the freed blocks whose lifetime is known.
        func quantile(_ q: Double) -> String {
            let known = freedByClass.reduce(0, +)
            guard known > 0 else { return "-" }
            var seen: Int64 = 0
            for (c, n) in freedByClass.enumerated() {
                seen += n
                if Double(seen) >= q * Double(known) { return LifetimesReport.classes[c] }
            }
            return LifetimesReport.classes.last!
        }
    }

    public func render(_ context: ReportContext) throws -> String {
        let p = context.profile
        guard let allocIndex = p.sampleTypes.firstIndex(where: { $0.type == "alloc_objects" }) else {
            throw LifetimesError("the profile has no alloc_objects sample type: not a heap profile")
        }
        guard p.samples.contains(where: { $0.labels["lifetime"] != nil }) else {
            throw LifetimesError("the profile has no lifetime labels: lifetimes are recorded by memprof's sampler "
                + "(memprof run -o, HeapProfile, /debug/pprof/heap), not by Go")
        }
        let temporaryIndex = p.sampleTypes.firstIndex { $0.type == "temporary_objects" }
        let functions = Dictionary(p.functions.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let locations = Dictionary(p.locations.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var sites: [String: Site] = [:]
        for sample in p.samples {
            let leaf = sample.locationIDs.first.flatMap { locations[$0] }
            let name = leaf?.lines.first.flatMap { functions[$0.functionID] }
                ?? leaf.map { "0x" + String($0.address, radix: 16) } ?? "[unknown]"
            var site = sites[name] ?? Site(name: name)
            let objects = sample.values[allocIndex]
            site.allocated += objects
            if let t = temporaryIndex { site.temporaries += sample.values[t] }
            switch sample.labels["lifetime"]?.first {
            case "live"?: site.live += objects
            case let label? where Self.classes.contains(label): site.freedByClass[Self.classes.firstIndex(of: label)!] += objects
            default: site.unknown += objects
            }
            sites[name] = site
        }
        var rows = sites.values.sorted { ($0.allocated, $1.name) > ($1.allocated, $0.name) }
        if count > 0 && rows.count > count { rows = Array(rows.prefix(count)) }
        func column(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        var out = "Lifetimes of sampled blocks by allocation site (objects, unbiased; median and p90 of freed blocks)\n"
        out += "\(column("allocated", 10)) \(column("freed", 10)) \(column("live", 10)) \(column("temporary", 10)) "
            + "\(column("median", 10)) \(column("p90", 10))  site\n"
        for site in rows {
            let share = site.freed > 0 ? String(format1(100 * Double(site.temporaries) / Double(site.freed))) + "%" : "-"
            out += "\(column(String(site.allocated), 10)) \(column(String(site.freed), 10)) \(column(String(site.live), 10)) "
                + "\(column(share, 10)) \(column(site.quantile(0.5), 10)) \(column(site.quantile(0.9), 10))  \(site.name)\n"
        }
        if p.periodType?.type == "space", p.period > 0, p.period < Self.timedAllRate {
            out += "At rate \(p.period) (below 64 KiB) a site's blocks after its first 64 are timed one in 16;"
                + " the classes of the others are estimated from them.\n"
        }
        return out
    }

    private func format1(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// A profile the lifetimes report cannot read, with the reason.
public struct LifetimesError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
