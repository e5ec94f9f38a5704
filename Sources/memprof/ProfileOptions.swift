import Foundation
import ArgumentParser
import MemprofAnalysis

/// The flags every analysis command shares (`top`, `list`, `peek`, `traces`, `flame`, the
/// shell): which profile, which sample type, filters, trimming, and a base to compare with.
///
/// Long flags are spelled with two dashes; pprof's one-dash spellings (`-inuse_space`,
/// `-sample_index=alloc_space`, `-nodecount=5`, `-cum`, `-focus=re`) are accepted too, so a
/// `go tool pprof` command line works after replacing `go tool pprof -top` with `memprof top`.
struct ProfileOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The profile: a file (gzipped or plain profile.proto) or an http(s) URL; several are merged.",
                                 valueName: "file-or-url"),
              completion: .file())
    var profiles: [String] = []

    // Unconditional: `-sample_index -1` is a value (pprof's flag parsing), not a flag.
    @Option(name: [.customLong("sample-index"), .customLong("sample_index"), .customLong("sample_index", withSingleDash: true)],
            parsing: .unconditional,
            help: ArgumentHelp("Sample type to report, by name (alloc_space) or index (0). Default: the profile's default type, else the last.",
                               valueName: "name|n"))
    var sampleIndex: String?

    @Flag(help: "Shortcuts for --sample-index: in-use or allocated, bytes or objects.")
    var sampleShortcuts: [SampleShortcut] = []

    @Flag(name: [.customLong("mean"), .customLong("mean", withSingleDash: true)],
          help: "Show each entry's mean per count (the first sample type): the mean wait in block and mutex profiles.")
    var mean = false

    @Option(name: [.short, .customLong("nodecount"), .customLong("nodecount", withSingleDash: true)], parsing: .unconditional,
            help: ArgumentHelp("Show at most N entries (top: all by default).", valueName: "n"))
    var nodeCount: Int?

    @Option(name: [.customLong("nodefraction"), .customLong("nodefraction", withSingleDash: true)],
            help: ArgumentHelp("Drop entries whose cum is below this fraction of the total.", valueName: "f"))
    var nodeFraction: Double = 0.005

    @Flag(name: [.customLong("cum"), .customLong("cum", withSingleDash: true)],
          help: "Sort by cumulative value instead of flat.")
    var cumulative = false

    @Option(name: [.customLong("focus"), .customLong("focus", withSingleDash: true)],
            help: ArgumentHelp("Keep only samples with a frame matching this regex.", valueName: "regex"))
    var focus: String?

    @Option(name: [.customLong("ignore"), .customLong("ignore", withSingleDash: true)],
            help: ArgumentHelp("Drop samples with a frame matching this regex.", valueName: "regex"))
    var ignore: String?

    @Option(name: [.customLong("tagfocus"), .customLong("tagfocus", withSingleDash: true)],
            help: ArgumentHelp("Keep only samples with a label matching: key=regex (thread=main) or regex.", valueName: "tag"))
    var tagFocus: String?

    @Option(name: [.customLong("tagignore"), .customLong("tagignore", withSingleDash: true)],
            help: ArgumentHelp("Drop samples with a label matching: key=regex or regex.", valueName: "tag"))
    var tagIgnore: String?

    @Option(name: [.customLong("hide"), .customLong("hide", withSingleDash: true)],
            help: ArgumentHelp("Remove frames matching this regex from stacks.", valueName: "regex"))
    var hide: String?

    @Option(name: [.customLong("show"), .customLong("show", withSingleDash: true)],
            help: ArgumentHelp("Keep only frames matching this regex.", valueName: "regex"))
    var show: String?

    @Option(name: [.customLong("show-from"), .customLong("show_from"), .customLong("show_from", withSingleDash: true)],
            help: ArgumentHelp("Drop frames above the highest one matching this regex.", valueName: "regex"))
    var showFrom: String?

    @Option(name: [.customLong("prune-from"), .customLong("prune_from"), .customLong("prune_from", withSingleDash: true)],
            help: ArgumentHelp("Drop the frames below the lowest one matching this regex.", valueName: "regex"))
    var pruneFrom: String?

    @Option(name: [.customLong("granularity"), .customLong("granularity", withSingleDash: true)],
            help: ArgumentHelp("Group entries by functions, filefunctions, files, lines or addresses (default: functions).",
                               valueName: "kind"))
    var granularity: GranularityArgument?

    @Flag(help: "Shortcuts for --granularity, as pprof spells them (-lines, -files, ...).")
    var granularityShortcut: GranularityShortcut?

    @Flag(name: [.customLong("noinlines"), .customLong("noinlines", withSingleDash: true)],
          help: "Attribute inlined functions to the function they were inlined into.")
    var noInlines = false

    @Option(name: [.customLong("unit"), .customLong("unit", withSingleDash: true)],
            help: ArgumentHelp("Print values in this unit (B, kB, MB, ..., minimum, auto).", valueName: "unit"))
    var unit = "minimum"

    @Option(name: [.customLong("divide-by"), .customLong("divide_by"), .customLong("divide_by", withSingleDash: true)],
            help: ArgumentHelp("Divide every value by this number before printing (pprof -divide_by).", valueName: "number"))
    var divideBy: Double = 1

    @Option(name: [.customLong("base"), .customLong("base", withSingleDash: true)],
            help: ArgumentHelp("Subtract this earlier profile first (pprof -base).", valueName: "file-or-url"),
            completion: .file())
    var base: String?

    @Option(name: [.customLong("diff-base"), .customLong("diff_base"), .customLong("diff_base", withSingleDash: true)],
            help: ArgumentHelp("Compare against this profile; percentages are of its total (pprof -diff_base).",
                               valueName: "file-or-url"),
            completion: .file())
    var diffBase: String?

    @Flag(help: "Show Swift functions by their full demangled signatures (from the mangled system_name), not the compact names profiles store; profiles written with full names show them as stored.")
    var fullNames = false

    @Option(help: ArgumentHelp("Seconds to wait for a profile fetched over HTTP.", valueName: "seconds"))
    var timeout: Double = 60

    func validate() throws {
        if profiles.isEmpty { throw ValidationError("Missing expected argument '<file-or-url> ...'") }
        if base != nil && diffBase != nil { throw ValidationError("give --base or --diff-base, not both") }
        // A negative count shows every entry, as 0 does (go tool pprof takes -1 the same way).
        // As pprof: --sample-index, else the first shortcut in pprof's order; the others are
        // named on standard error and ignored.
        for ignored in sampleSelection.ignored {
            FileHandle.standardError.write(Data("Multiple value selections, ignoring -\(ignored.rawValue)\n".utf8))
        }
        if granularityShortcut != nil && granularity != nil {
            throw ValidationError("give --granularity or a shortcut such as --lines, not both")
        }
    }

    /// The grouping asked for: a shortcut, else `--granularity`, else functions.
    var chosenGranularity: Granularity { granularityShortcut?.value ?? granularity?.value ?? .functions }

    /// The sample type asked for: `--sample-index`, else a shortcut, else nil (the default).
    var chosenSampleIndex: String? { sampleSelection.chosen }

    /// pprof's choice among `--sample-index` and the shortcuts: the index if given, else the
    /// first shortcut in pprof's order (total_delay, mean_delay, contentions, inuse_space, inuse_objects,
    /// alloc_space, alloc_objects).
    private var sampleSelection: (chosen: String?, ignored: [SampleShortcut]) {
        var chosen = sampleIndex, ignored: [SampleShortcut] = []
        for shortcut in SampleShortcut.allCases where sampleShortcuts.contains(shortcut) {
            if chosen == nil { chosen = shortcut.sampleType } else { ignored.append(shortcut) }
        }
        return (chosen, ignored)
    }

    /// The report options these flags give.
    var reportOptions: ReportOptions {
        var o = ReportOptions(sampleIndex: chosenSampleIndex, nodeCount: nodeCount, nodeFraction: nodeFraction,
                              cumulative: cumulative, focus: focus, ignore: ignore, hide: hide, show: show,
                              showFrom: showFrom, granularity: chosenGranularity, unit: unit,
                              divideBy: divideBy, simplifyNames: !fullNames)
        o.fullNames = fullNames
        o.tagFocus = tagFocus
        o.tagIgnore = tagIgnore
        o.pruneFrom = pruneFrom
        o.noInlines = noInlines
        // -mean_delay asks for means even when another selection wins the sample type (pprof).
        o.mean = mean || sampleShortcuts.contains(.meanDelay)
        return o
    }
}

/// `--inuse_space` and its siblings: pprof's names for the four heap sample types.
enum SampleShortcut: String, EnumerableFlag {
    // pprof's order of precedence.
    case totalDelay = "total_delay"
    case meanDelay = "mean_delay"
    case contentions
    case inuseSpace = "inuse_space"
    case inuseObjects = "inuse_objects"
    case allocSpace = "alloc_space"
    case allocObjects = "alloc_objects"

    /// The sample type it selects.
    var sampleType: String { self == .totalDelay || self == .meanDelay ? "delay" : rawValue }

    static func name(for value: SampleShortcut) -> NameSpecification {
        pprofSpellings(value.rawValue)
    }

    static func help(for value: SampleShortcut) -> ArgumentHelp? {
        switch value {
        case .totalDelay: return "Time waited (block and mutex profiles: the delay sample type)."
        case .meanDelay: return "Mean time waited (--mean with the delay sample type)."
        case .contentions: return "Times waited (block and mutex profiles)."
        case .inuseSpace: return "Bytes in use (not yet freed) at the time of the profile."
        case .inuseObjects: return "Objects in use at the time of the profile."
        case .allocSpace: return "Bytes allocated since the program started, freed or not."
        case .allocObjects: return "Objects allocated since the program started."
        }
    }
}

/// `--lines` and its siblings: pprof's flags for the granularities.
enum GranularityShortcut: String, EnumerableFlag {
    case functions, filefunctions, files, lines, addresses

    var value: Granularity { Granularity(rawValue: rawValue) ?? .functions }

    static func name(for value: GranularityShortcut) -> NameSpecification {
        pprofSpellings(value.rawValue)
    }

    static func help(for value: GranularityShortcut) -> ArgumentHelp? {
        switch value {
        case .functions: return "One entry per function (the default)."
        case .filefunctions: return "One entry per function and source file."
        case .files: return "One entry per source file."
        case .lines: return "One entry per source line."
        case .addresses: return "One entry per instruction address."
        }
    }
}

/// `--granularity`, parsed into the analysis library's `Granularity`.
struct GranularityArgument: ExpressibleByArgument {
    var value: Granularity

    init(_ value: Granularity) { self.value = value }

    init?(argument: String) {
        guard let g = Granularity(rawValue: argument) else { return nil }
        value = g
    }

    static let functions = GranularityArgument(.functions)
    static var allValueStrings: [String] { Granularity.allCases.map(\.rawValue) }
    var defaultValueDescription: String { value.rawValue }
}

/// Where `list` finds source files: only `list` and the shell (which can list) take these.
struct SourceOptions: ParsableArguments {
    @Option(name: [.customLong("source-path"), .customLong("source_path"), .customLong("source_path", withSingleDash: true)],
            help: ArgumentHelp("Directories to search for source files, ':'-separated (default: the current one).",
                               valueName: "dirs"), completion: .directory)
    var sourcePath: String?

    @Option(name: [.customLong("trim-path"), .customLong("trim_path"), .customLong("trim_path", withSingleDash: true)],
            help: ArgumentHelp("Prefixes to remove from source file names, ':'-separated.", valueName: "prefixes"))
    var trimPath: String?

    /// Sets the source search options of `options`.
    func apply(to options: inout ReportOptions) {
        options.sourcePath = sourcePath
        options.trimPath = trimPath
    }
}

/// A flag's two spellings: ours (`--lines`) and pprof's (`-lines`).
private func pprofSpellings(_ name: String) -> NameSpecification {
    [.customLong(name), .customLong(name, withSingleDash: true)]
}
