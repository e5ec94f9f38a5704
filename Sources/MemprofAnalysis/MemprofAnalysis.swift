/// Reports over heap profiles (top, traces, peek), matching `go tool pprof` output.
///
/// The layers, bottom up:
/// - `Measurement`: units and pprof's number formatting.
/// - `AnalysisProfile` (internal): a `Profile` resolved and normalised the way pprof's driver
///   prepares it (merge, pruning, focus/ignore/hide filters, aggregation by granularity).
/// - `CallGraph` (internal): nodes by function (or line, file, address) with flat and cumulative values.
/// - `Report` plug-ins (`TopReport`, `TracesReport`, `PeekReport`) driven by `ReportOptions`.
public enum MemprofAnalysis {}
