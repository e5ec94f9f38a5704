import MemprofProfile

/// A report over a profile: `top`, `traces`, `peek`, ... Each renders text identical to the
/// matching `go tool pprof` command.
///
/// ```swift
/// let ctx = ReportContext(profile: profile, options: ReportOptions(sampleIndex: "alloc_space"))
/// print(try TopReport().render(ctx), terminator: "")
/// ```
public protocol Report {
    /// The pprof command this report mirrors (`top`, `traces`, `peek`).
    var name: String { get }
    /// The report's text, each line ending in a newline.
    func render(_ context: ReportContext) throws -> String
}

/// What a report is made from: a profile and the options chosen.
public struct ReportContext: Sendable {
    /// The profile to report on (not modified).
    public var profile: Profile
    /// Sample index, filters, sorting and trimming.
    public var options: ReportOptions
    /// Told what pprof prints on standard error while making a report: a filter that matched
    /// nothing (`Focus expression matched no samples`). The report itself does not change.
    public var onWarning: (@Sendable (String) -> Void)?

    /// A context for `profile` with `options` (pprof's defaults unless given).
    public init(profile: Profile, options: ReportOptions = ReportOptions(),
                onWarning: (@Sendable (String) -> Void)? = nil) {
        self.profile = profile
        self.options = options
        self.onWarning = onWarning
    }

    /// Passes a prepared report's warnings on.
    func warn(_ warnings: [String]) {
        guard let onWarning else { return }
        for w in warnings { onWarning(w) }
    }
}

extension ReportOptions {
    /// These options as pprof adjusts them for one command: reports that must see every
    /// entry (`peek`) turn trimming off; `top` shows all entries unless a count is given.
    func adjusted(trim: Bool, defaultNodeCount: Int) -> ReportOptions {
        var o = self
        if o.nodeCount == nil { o.nodeCount = defaultNodeCount }
        if !trim {
            o.nodeCount = 0
            o.nodeFraction = 0
            o.edgeFraction = 0
        }
        return o
    }
}
