import ArgumentParser

/// `memprof`: profile unmodified programs and analyse heap profiles.
@main
struct MemprofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memprof",
        abstract: "Memory profiling for Swift (and any program) on Linux.",
        discussion: """
            Examples:
              memprof run -o heap.pb.gz -- ./server     profile a program
              memprof top --inuse_space -n 10 heap.pb.gz
                                                        where the memory went
              memprof heap.pb.gz                        interactive: top5, list, ...
              memprof flame heap.pb.gz -o flame.html    a flame graph to open in a browser
              memprof top http://localhost:6060/debug/pprof/heap
                                                        a live Go or Swift service
              memprof explain 4242                      why a process uses its memory

            Profiles are pprof's profile.proto (gzipped or not), ours or Go's,
            or Go's text profiles (?debug=1). Reports print the same figures as
            go tool pprof; Swift names are shortened unless --full-names.
            """,
        version: MemprofVersion.string,
        subcommands: [
            ShellCommand.self, TopCommand.self, ListCommand.self, PeekCommand.self, TracesCommand.self, FlameCommand.self,
            FetchCommand.self, SymbolizeCommand.self, LifetimesCommand.self,
            RunCommand.self, LiveCommand.self, ExplainCommand.self, SyntheticProfileCommand.self,
        ],
        defaultSubcommand: ShellCommand.self
    )

    /// `memprof` alone prints this help instead of asking for the shell's profile.
    static func main() {
        if CommandLine.arguments.count == 1 {
            print(helpMessage())
            return
        }
        let commands = configuration.subcommands.map { $0._commandName } + ["help"]
        if let message = UnknownCommand.message(for: Array(CommandLine.arguments.dropFirst()), commands: commands) {
            Diagnostics.printError(message)
            Self.exit(withError: ExitCode.validationFailure)
        }
        main(nil)
    }
}
