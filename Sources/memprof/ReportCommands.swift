import ArgumentParser
import Foundation
import MemprofAnalysis

/// A command that prints one report over one profile: it names the report and its own
/// flags; loading, the shared flags and errors are handled here once.
protocol ReportCommand: ParsableCommand {
    /// The shared flags, including the profile.
    var flags: ProfileOptions { get }
    /// Where source files are found: `list` only.
    var sourceOptions: SourceOptions? { get }
    /// The report to print.
    func makeReport() throws -> any Report
}

extension ReportCommand {
    var sourceOptions: SourceOptions? { nil }

    func run() throws {
        try Diagnostics.run {
            var session = try AnalysisSession(flags)
            sourceOptions?.apply(to: &session.options)
            Output.write(try session.render(try makeReport()))
        }
    }
}

/// `memprof top FILE`: the heaviest functions, as `go tool pprof -top`.
struct TopCommand: ReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "The functions that allocate the most, as go tool pprof -top prints them.",
        discussion: """
            Example:
              memprof top --alloc_space -n 5 heap.pb.gz
                  flat  flat%   sum%        cum   cum%
              858.38MB 99.82% 99.82%   858.38MB 99.82%  main.bigBytes (inline)

            flat is what the function allocated itself, cum what it and its callees
            did. The numbers and the rules for which rows are shown are go tool
            pprof's, so the two outputs can be diffed (Swift functions by the compact
            names the profile stores); --full-names shows their full signatures.
            """
    )

    @OptionGroup var flags: ProfileOptions

    func makeReport() -> any Report { TopReport() }
}

/// `memprof traces FILE`: every sample with its stack, as `go tool pprof -traces`.
struct TracesCommand: ReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "traces",
        abstract: "Every sample with its value and full stack, leaf first (go tool pprof -traces).",
        discussion: """
            Example:
              memprof traces --inuse_space heap.pb.gz | less
            """
    )

    @OptionGroup var flags: ProfileOptions

    func makeReport() -> any Report { TracesReport() }
}

/// `memprof peek REGEX FILE`: callers and callees of matching functions.
struct PeekCommand: ReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "peek",
        abstract: "Callers and callees of the functions matching a regex (go tool pprof -peek).",
        discussion: """
            Example:
              memprof peek 'main\\.main' --alloc_space heap.pb.gz
            Callers are printed above each matching function, callees below, with the
            weight of each call edge.
            """
    )

    @Argument(help: ArgumentHelp("Regex selecting the functions (RE2 syntax, as pprof).", valueName: "regex"))
    var pattern: String

    @OptionGroup var flags: ProfileOptions

    func makeReport() -> any Report { PeekReport(pattern) }
}

/// `memprof list REGEX FILE`: annotated source of matching functions.
struct ListCommand: ReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Source lines of the functions matching a regex, with flat and cum values (go tool pprof -list).",
        discussion: """
            Example:
              memprof list main.bigBytes --alloc_space --trim-path goseed heap.pb.gz
              Total: 859.91MB
              ROUTINE ======================== main.bigBytes in main.go
                858.38MB   858.38MB (flat, cum) 99.82% of Total

            Source files are looked up in --source-path (default: the current directory)
            after removing a --trim-path prefix; a file that is not found is named in an
            error line under its function's header.
            """
    )

    @Argument(help: ArgumentHelp("Regex selecting the functions (RE2 syntax, as pprof).", valueName: "regex"))
    var pattern: String

    @OptionGroup var flags: ProfileOptions

    @OptionGroup(title: "Source files") var source: SourceOptions

    var sourceOptions: SourceOptions? { source }

    func makeReport() -> any Report { ListReport(pattern) }
}

/// `memprof flame FILE -o flame.html`: a self-contained HTML flame graph.
struct FlameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flame",
        abstract: "Write a flame graph of a profile as one self-contained HTML page.",
        discussion: """
            Example:
              memprof flame --alloc_space heap.pb.gz -o flame.html
              xdg-open flame.html

            The page needs no network access: click a box to zoom, search with a regex,
            hover for values, switch the sample type and full or short names. Filters
            (--focus, --ignore, --hide, ...) apply; nothing is trimmed.
            """
    )

    @OptionGroup var flags: ProfileOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The HTML file to write ('-' for standard output).", valueName: "file"),
            completion: .file(extensions: ["html"]))
    var output: String

    @Option(help: ArgumentHelp("Title of the page (default: the profiled program's name).", valueName: "text"))
    var title: String?

    func run() throws {
        try Diagnostics.run {
            let html = try AnalysisSession(flags).render(FlameGraphReport(title: title))
            if output == "-" {
                Output.write(html)
                return
            }
            do {
                try html.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw CLIFailure(Diagnostics.cannotWrite(output, error))
            }
            Diagnostics.printNote("wrote \(output) (\(html.utf8.count) bytes); open it in a browser")
        }
    }
}
