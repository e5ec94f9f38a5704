/// A flame graph as one self-contained HTML page (no network access needed: styles, script
/// and data are inline).
///
/// The page draws the call tree of the selected sample type, callers above callees, each box
/// as wide as the values below it. It has a sample type selector (every sample type of the
/// profile is embedded, as JSON of its call tree), a regex search box that paints matches in
/// magenta and sums them, a tooltip with value, self value and percentage of the total, click
/// to zoom (Esc or "Reset zoom" to return) and a "Full names" switch: boxes show readable
/// Swift names (`Demangler.simplified`) unless it is on. The switch starts off when
/// `ReportOptions.simplifyNames` is set, on otherwise. In a `-diff_base` comparison boxes
/// that shrank are blue and percentages are of the base's total. The URL fragment can preset
/// the view: `flame.html#type=1&search=Model&full=0`.
///
/// ```swift
/// let html = try FlameGraphReport().render(ReportContext(profile: profile))
/// try html.write(to: "flame.html")   // any file API
/// ```
///
/// `ReportOptions` filters (`focus`, `ignore`, `hide`, `show`, `showFrom`), granularity and
/// `sampleIndex` (the type shown first) apply; trimming options do not (nothing is dropped).
public struct FlameGraphReport: Report {
    public var name: String { "flame" }
    /// Page title; nil uses the base name of the profile's main mapping.
    public var title: String?

    /// A flame graph page titled `title` (default: the profiled program's name).
    public init(title: String? = nil) { self.title = title }

    /// The page: HTML with the call trees of every sample type of `context.profile`.
    public func render(_ context: ReportContext) throws -> String {
        let data = try FlameGraphData(context.profile, options: context.options)
        context.warn(data.warnings)
        let title = self.title ?? (data.mainFile.isEmpty ? "profile" : GoPath.base(data.mainFile))
        return FlameGraphTemplate.html(title: title, json: data.json())
    }
}
