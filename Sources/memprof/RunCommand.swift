import ArgumentParser
import Foundation
import Memprof

/// `memprof run -- CMD ARGS...`: runs CMD under the preload hook and prints an exact summary.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program under the hook and print exact allocation totals when it ends.",
        discussion: """
            The program needs no change: the hook is injected with LD_PRELOAD. Its exit status
            is passed through (128 + N when it is killed by signal N). The totals are complete
            however it ends: exit, _exit, SIGINT, SIGTERM, even SIGKILL.

            Example:
              memprof run --summary-json summary.json -- python3 -c 'x = [0] * 10**6'
            """
    )

    @Option(name: .customLong("summary-json"), help: "Also write the summary as JSON to this file.")
    var summaryJSON: String?

    @Option(name: .shortAndLong, help: "Write a heap profile (gzipped pprof) to this file when the program ends.")
    var output: String?

    @Option(help: "Sampling rate in bytes for the heap profile (1 = every allocation). Default 524288 with -o.")
    var rate: Int64?

    @Argument(parsing: .postTerminator, help: "The program and its arguments (after --).")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the program to run after --, e.g. memprof run -- ./app") }
        if let rate, rate < 0 { throw ValidationError("--rate must be 0 or more (bytes between samples)") }
    }

    func run() throws {
        guard let library = PreloadLibraryLocator.find() else {
            throw ValidationError("cannot find the preload library (set MEMPROF_PRELOAD_LIB)")
        }
        let result: PreloadRun.Result
        do {
            // Without -o only the exact counters are wanted: sampling stays off.
            let sampling = output == nil ? 0 : (rate ?? 524_288)
            result = try PreloadRun(arguments: command, preloadLibrary: library,
                                    environment: ["MEMPROF_RATE": String(sampling)]).run()
        } catch let failure as PreloadRun.Failure {
            // As a shell does: 127 when the command cannot be run.
            FileHandle.standardError.write(Data("memprof: \(failure.description)\n".utf8))
            throw ExitCode(127)
        }
        let profile = output == nil ? nil : result.heapProfile()
        let summary = RunSummary(command: command, result: result, profile: profile)
        FileHandle.standardError.write(Data(summary.text.utf8))
        if let output {
            do {
                let bytes = (profile ?? HeapProfile.empty(rate: rate ?? 524_288)).encoded(gzip: true)
                try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
                FileHandle.standardError.write(Data("memprof: heap profile written to \(output) (go tool pprof -top \(output))\n".utf8))
            } catch {
                FileHandle.standardError.write(Data("memprof: cannot write \(output): \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
        if let path = summaryJSON {
            do {
                try Data(summary.json.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("memprof: cannot write \(path): \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
        throw ExitCode(result.termination.shellStatus)
    }
}

