/// How samples are grouped into report entries (pprof `-granularity`).
public enum Granularity: String, Sendable, CaseIterable {
    /// One entry per function (the default).
    case functions
    /// One entry per function and source file.
    case fileFunctions = "filefunctions"
    /// One entry per source file.
    case files
    /// One entry per function and source line.
    case lines
    /// One entry per instruction address.
    case addresses
}

/// Options shared by all reports, named after the `go tool pprof` flags they mirror.
public struct ReportOptions: Sendable, Equatable {
    /// Which value of each sample to report: a sample type name (`alloc_space`; the legacy
    /// `inuse_` prefix is accepted for plain `space`/`objects`) or a decimal index. `nil`
    /// means the profile's default sample type, else the last one (`-sample_index`).
    public var sampleIndex: String?
    /// Maximum number of entries; `nil` means the report's default (unlimited for `top`)
    /// (`-nodecount`).
    public var nodeCount: Int?
    /// Entries whose cumulative value is below this fraction of the total are dropped
    /// (`-nodefraction`, default 0.005).
    public var nodeFraction: Double
    /// Call edges below this fraction of the total are dropped (`-edgefraction`, 0.001).
    public var edgeFraction: Double
    /// Sort by cumulative instead of flat value (`-cum`).
    public var cumulative: Bool
    /// Keep only samples with a frame matching this regex (`-focus`).
    public var focus: String?
    /// Drop samples with a frame matching this regex (`-ignore`).
    public var ignore: String?
    /// Keep only samples with a string label matching (`-tagfocus`): `key=regex` tests the
    /// values of that label, a bare `regex` the values of every label (`thread=NIO-ELT.*`).
    public var tagFocus: String?
    /// Drop samples with a string label matching, as `tagFocus` (`-tagignore`).
    public var tagIgnore: String?
    /// Remove frames matching this regex from stacks (`-hide`).
    public var hide: String?
    /// Keep only frames matching this regex (`-show`).
    public var show: String?
    /// Drop frames above the highest frame matching this regex (`-show_from`).
    public var showFrom: String?
    /// Drop the frames below (callees of) the lowest frame matching this regex (`-prune_from`).
    public var pruneFrom: String?
    /// Grouping of report entries (`-functions`, `-lines`, ...).
    public var granularity: Granularity
    /// Attribute inlined frames to the function they were inlined into (`-noinlines`).
    public var noInlines: Bool
    /// Drop entries with negative values (`-drop_negative`).
    public var dropNegative: Bool
    /// Unit to print values in; `"minimum"` picks one for the whole report (`-unit`).
    public var unit: String
    /// Divide all values by this number before printing (`-divide_by`).
    public var divideBy: Double
    /// Show each entry's value divided by its samples' first value, their count (`-mean`;
    /// `-mean_delay` is this with the `delay` sample type): the mean wait of block and mutex
    /// profiles. As in pprof, entries are still chosen and sorted by their totals, `list`
    /// and the edges of `peek` show totals against the mean total, and `traces` shows each
    /// sample's mean. Flame graphs show totals.
    public var mean = false
    /// Show Swift names simplified (`Array<Int>` for `Swift.Array<Swift.Int>`, `specialized f`,
    /// `closure #1 in f`) where a profile stores full signatures (written before compact
    /// names), and demangle names that are still mangled (Swift ones to compact names, C++),
    /// before filters and reports see them. Compact names are shown as stored either way. Off
    /// by default, so reports equal `go tool pprof`'s.
    public var simplifyNames: Bool
    /// Show Swift functions by their full signatures, demangled from the mangled
    /// `system_name` (`memprof --full-names`), where the profile gives compact names
    /// (`SwiftCompactName`); profiles with full names in `name` show them as stored.
    public var fullNames = false
    /// Prefixes to remove from source file names, `:`-separated (`-trim_path`). `nil` lets
    /// `list` guess one from the source path, as pprof does.
    public var trimPath: String?
    /// Directories where `list` looks for source files, `:`-separated (`-source_path`);
    /// `nil` means the current directory.
    public var sourcePath: String?

    /// Options with pprof's defaults.
    public init(
        sampleIndex: String? = nil, nodeCount: Int? = nil, nodeFraction: Double = 0.005,
        edgeFraction: Double = 0.001, cumulative: Bool = false, focus: String? = nil,
        ignore: String? = nil, hide: String? = nil, show: String? = nil, showFrom: String? = nil,
        granularity: Granularity = .functions, noInlines: Bool = false, dropNegative: Bool = false,
        unit: String = "minimum", divideBy: Double = 1, simplifyNames: Bool = false,
        trimPath: String? = nil, sourcePath: String? = nil
    ) {
        self.sampleIndex = sampleIndex
        self.nodeCount = nodeCount
        self.nodeFraction = nodeFraction
        self.edgeFraction = edgeFraction
        self.cumulative = cumulative
        self.focus = focus
        self.ignore = ignore
        self.hide = hide
        self.show = show
        self.showFrom = showFrom
        self.granularity = granularity
        self.noInlines = noInlines
        self.dropNegative = dropNegative
        self.unit = unit
        self.divideBy = divideBy
        self.simplifyNames = simplifyNames
        self.trimPath = trimPath
        self.sourcePath = sourcePath
    }

    /// The filters in effect, as pprof lists them under `Active filters:`.
    var activeFilters: [String] {
        [("focus", focus), ("ignore", ignore), ("hide", hide), ("show", show), ("show_from", showFrom),
         ("tagfocus", tagFocus), ("tagignore", tagIgnore)]
            .compactMap { name, value in
                guard let value, !value.isEmpty else { return nil }
                return name + "=" + value
            }
    }
}

/// Errors reports throw for unusable input or options.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// The profile has no sample types.
    case noSampleTypes
    /// `sampleIndex` names no sample type.
    case unknownSampleIndex(String, available: [String])
    /// `sampleIndex` is a number outside 0...last.
    case sampleIndexOutOfRange(String, last: Int)
    /// A regex option does not compile; `reason` says what is wrong with it.
    case badRegex(option: String, pattern: String, reason: String)
    /// A sample or location refers to an ID the profile does not define.
    case danglingReference(String)
    /// `divideBy` is zero.
    case zeroDivisor
    /// A regex given to a report (e.g. peek) matched nothing.
    case noMatches(String)
    /// Both a base (`-base`) and a diff base (`-diff_base`) were given.
    case baseAndDiffBase
    /// The base profile cannot be combined with the profile (sample or period types differ).
    case incompatibleBase(String)
    /// Source profiles cannot be merged (sample or period types differ).
    case incompatibleProfiles(String)

    public var description: String {
        switch self {
        case .noSampleTypes: return "profile has no samples"
        case let .unknownSampleIndex(s, available):
            return "sample_index \"\(s)\" must be one of: [\(available.joined(separator: " "))]"
        case let .sampleIndexOutOfRange(s, last): return "sample_index \(s) is outside the range [0..\(last)]"
        case let .badRegex(option, pattern, reason):
            // Go's own refusals already name the part of the pattern at fault.
            if reason.hasPrefix("error parsing regexp: ") { return "parsing \(option) regexp: \(reason)" }
            return "parsing \(option) regexp: \(reason): `\(pattern)`"
        case let .danglingReference(s): return "malformed profile: \(s)"
        case .zeroDivisor: return "zero divisor specified"
        case let .noMatches(rx): return "no matches found for regexp: \(rx)"
        case .baseAndDiffBase: return "-base and -diff_base flags cannot both be specified"
        case let .incompatibleBase(why): return "cannot combine with base profile: \(why)"
        case let .incompatibleProfiles(why): return "cannot merge the profiles: \(why)"
        }
    }
}
