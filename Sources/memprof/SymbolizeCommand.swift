import ArgumentParser
import Foundation
import MemprofProfile
import MemprofSymbolication

/// `memprof symbolize IN -o OUT`: names the locations of a profile served with addresses only.
struct SymbolizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "symbolize",
        abstract: "Name the functions of a profile served without symbols (?symbolize=0).",
        discussion: """
            Example:
              curl -o raw.pb.gz 'http://localhost:6060/debug/pprof/heap?symbolize=0'
              memprof symbolize raw.pb.gz -o heap.pb.gz
              memprof top heap.pb.gz

            Each mapping's file is opened by its path (under --root, e.g. a copy of a
            container's file system) and must have the build ID the profile records; it is
            read with the same reader the service uses in process (demangled names, files,
            lines, inlined frames), and allocator frames are trimmed as in process. Every
            memprof report does this by itself for such profiles; go tool pprof reads
            both forms.
            """
    )

    @Argument(help: ArgumentHelp("The profile: a file, - for standard input, or an http(s) URL.", valueName: "profile"),
              completion: .file())
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("File to write (gzipped profile.proto).", valueName: "file"),
            completion: .file())
    var output: String

    @Option(help: ArgumentHelp("Directory prefixed to the mappings' paths.", valueName: "dir"), completion: .directory)
    var root: String = ""

    @Option(help: ArgumentHelp("Seconds to wait for a server.", valueName: "seconds"))
    var timeout: Double = 60

    func run() throws {
        try Diagnostics.run {
            var profile = try ProfileLoader.load(input, timeout: timeout, symbolize: false)
            if !ProfileSymbolizer.needsSymbols(profile) && profile.functions.contains(where: { !$0.name.isEmpty }) {
                // Named already (Go's profiles always are): rebuilding it from its addresses
                // would only lose what it says, such as Go's inlined frames.
                Diagnostics.printNote("\(ProfileLoader.displayName(input)) is already symbolized; written as is")
            } else {
                let result = ProfileSymbolizer.symbolize(profile, root: root)
                for warning in result.warnings { Diagnostics.printNote(warning) }
                profile = result.profile
            }
            do {
                try Data(profile.encoded(gzip: true)).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIFailure(Diagnostics.cannotWrite(output, error))
            }
            let named = profile.locations.filter { !$0.lines.isEmpty }.count
            Diagnostics.printNote("saved \(output): \(named) of \(profile.locations.count) locations named")
        }
    }
}
