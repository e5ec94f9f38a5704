import ArgumentParser
import Foundation
import MemprofProfile

/// `memprof fetch URL -o FILE`: saves a profile served over HTTP, after checking it is one.
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a profile from an HTTP endpoint and save it.",
        discussion: """
            Example:
              memprof fetch http://localhost:6060/debug/pprof/heap -o heap.pb.gz
              memprof top heap.pb.gz

            The bytes are saved as served (gzipped profile.proto from Go's endpoints
            and ours), after checking that they parse as a profile, so a saved file is
            always readable.
            """
    )

    @Argument(help: ArgumentHelp("The profile's URL (http:// or https://).", valueName: "url"))
    var url: String

    @Option(name: .shortAndLong, help: ArgumentHelp("File to write.", valueName: "file"), completion: .file())
    var output: String

    @Option(help: ArgumentHelp("Seconds to wait for the server.", valueName: "seconds"))
    var timeout: Double = 60

    func validate() throws {
        guard ProfileLoader.isURL(url) else { throw ValidationError("give an http:// or https:// URL (for files, use cp)") }
    }

    func run() throws {
        try Diagnostics.run {
            let bytes = try ProfileLoader.bytes(of: url, timeout: timeout)
            let profile: Profile
            do {
                profile = try Profile.parse(bytes)
            } catch let error as ProfileError {
                throw CLIFailure("\(url): \(ProfileLoader.describe(error)); nothing written")
            }
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIFailure(Diagnostics.cannotWrite(output, error))
            }
            let types = profile.sampleTypes.map(\.type).joined(separator: ", ")
            Diagnostics.printNote("saved \(output): \(bytes.count) bytes, \(profile.samples.count) samples (\(types))")
        }
    }
}

extension Diagnostics {
    /// Writes `memprof: message` to standard error, uncoloured: progress, not a failure.
    static func printNote(_ message: String) {
        FileHandle.standardError.write(Data("memprof: \(message)\n".utf8))
    }
}
