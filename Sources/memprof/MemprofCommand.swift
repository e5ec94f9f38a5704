import ArgumentParser

/// `memprof`: profile unmodified programs and analyse heap profiles.
@main
struct MemprofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memprof",
        abstract: "Memory profiling for Swift (and any program) on Linux.",
        discussion: """
            Examples:
              memprof run -- ./my-server --port 8080     exact allocation summary at exit
              memprof run --summary-json s.json -- swift-app
            """,
        subcommands: [RunCommand.self]
    )
}
