import ArgumentParser
import Foundation
import MemprofAnalysis

/// `memprof FILE` (or `memprof shell FILE`): pprof's interactive shell over one profile.
struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Explore a profile interactively (the default: memprof FILE).",
        discussion: """
            Example:
              $ memprof heap.pb.gz
              Type: inuse_space
              Entering interactive mode (type "help" for commands, "o" for options)
              (memprof) sample_index=alloc_space
              (memprof) top5
              (memprof) list main.bigBytes
              (memprof) quit

            Commands can also be piped in: echo top5 | memprof heap.pb.gz
            """
    )

    @OptionGroup var flags: ProfileOptions

    @OptionGroup(title: "Source files (for list)") var source: SourceOptions

    func run() throws {
        // Raw before the profile loads, so keys typed meanwhile are not echoed by the terminal.
        let interactive = isatty(STDIN_FILENO) == 1 && LineEditor.enterRawMode()
        defer { if interactive { LineEditor.restore() } }
        var shell: InteractiveShell
        do {
            var session = try AnalysisSession(flags)
            source.apply(to: &session.options)
            shell = InteractiveShell(session: session)
        } catch {
            Diagnostics.report(error)
            throw ExitCode.failure
        }
        Output.write(greeting(shell.session))
        let prompt = Terminal.standardOutput.paint("(memprof)", .bold) + " "
        var editor = LineEditor()
        while true {
            let read = interactive ? editor.readLine(prompt: prompt) : readLine(strippingNewline: true)
            guard let line = read else { return }
            switch shell.execute(line) {
            case .output(let text): Output.write(text)
            case .error(let message): Diagnostics.printError(message)
            case .quit: return
            }
        }
    }

    /// The profile's header lines (File, Type, Time) and pprof's invitation.
    func greeting(_ session: AnalysisSession) -> String {
        var lines: [String] = []
        if let labels = try? TopReport().rows(ReportContext(profile: session.profile, options: session.options)).labels {
            lines = Array(labels.prefix { !$0.hasPrefix("Showing nodes") && !$0.hasPrefix("Active filters") })
        }
        lines.append("Entering interactive mode (type \"help\" for commands, \"o\" for options)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The shell's `help` text.
enum ShellHelp {
    static let commands: [(String, String)] = [
        ("top[N] [-cum] [regex] [-regex]", "the N (default 10) heaviest functions; words focus, -words ignore"),
        ("list regex", "source lines of the functions matching regex, annotated"),
        ("peek regex", "callers and callees of the functions matching regex"),
        ("traces", "every sample with its stack"),
        ("o, options", "show the current options"),
        ("name=value", "set an option: sample_index, nodecount, nodefraction, divide_by, focus, ignore, hide, show, show_from, cum, mean, unit, granularity"),
        ("alloc_space, inuse_space, ...", "shortcut for sample_index=..."),
        ("cum, flat", "sort by cumulative or flat value"),
        ("functions, lines, files, ...", "shortcut for granularity=..."),
        (":", "clear focus, ignore, hide, show and show_from"),
        ("help [command]", "this text"),
        ("quit, exit", "leave (so does end of input, Ctrl-D)"),
    ]

    static func text(for command: String?) -> String {
        if let command {
            let hits = commands.filter { $0.0.split(whereSeparator: { " ,[".contains($0) }).contains { $0 == command } }
            if hits.isEmpty { return "no help for \"\(command)\"; type \"help\" for all commands\n" }
            return hits.map { "  \($0.0)\n      \($0.1)\n" }.joined()
        }
        return "Commands:\n" + commands.map { "  " + $0.0.padded(32) + " " + $0.1 + "\n" }.joined()
    }
}
