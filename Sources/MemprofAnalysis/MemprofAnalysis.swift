/// Reports over heap profiles (top, traces, peek, list, diff, flame graph), matching
/// `go tool pprof` output wherever pprof has the same report.
///
/// The layers, bottom up:
/// - `Measurement`: units and pprof's number formatting.
/// - `ReportInput.combine`: a profile and its `-base` / `-diff_base`, merged as pprof does.
/// - `AnalysisProfile` (internal): a `Profile` resolved and normalised the way pprof's driver
///   prepares it (merge, pruning, readable names, focus/ignore/hide filters, aggregation by
///   granularity, `-trim_path`).
/// - `CallGraph` (internal): nodes by function (or line, file, address) with flat and cumulative values.
/// - `Report` plug-ins (`TopReport`, `TracesReport`, `PeekReport`, `ListReport`,
///   `FlameGraphReport`) driven by `ReportOptions`. Profiles memprof writes carry compact
///   Swift names (`SwiftCompactName`), shown as stored, as pprof shows them;
///   `ReportOptions.fullNames` shows the full signatures demangled from `system_name`, and
///   `ReportOptions.simplifyNames` shortens the full names of older profiles.
public enum MemprofAnalysis {}
