import ArgumentParser
import Foundation
import Memprof

/// `memprof run -- CMD ARGS...`: runs CMD under the preload hook and prints an exact summary.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program under the hook and print exact allocation totals when it ends.",
        discussion: """
            The program needs no change: the hook is injected with LD_PRELOAD. Its
            exit status is passed through (128 + N when it is killed by signal N).
            The totals are complete however it ends: exit, _exit, SIGINT, SIGTERM,
            even SIGKILL.

            Examples:
              memprof run --summary-json summary.json -- python3 -c 'x = [0] * 10**6'
              memprof run --threshold 2GB -o heap.pb.gz -- ./server
                  the profile before the OOM kill
              memprof run --signal USR2 -- ./server
                  kill -USR2 PID: a profile now
              memprof run --timeline timeline.html -- ./batch
                  a chart of live heap and RSS over time
              memprof run --types -- ./server
                  live Swift objects by type when it ends
            """
    )

    @Option(name: .customLong("summary-json"), help: "Also write the summary as JSON to this file.")
    var summaryJSON: String?

    @Option(name: .shortAndLong, help: "Write a heap profile (gzipped pprof) to this file when the program ends.")
    var output: String?

    @Option(name: .customLong("peak-profile"), help: ArgumentHelp("Write the heap at its high-water mark (what was live when the live heap was largest) to this file when the program ends.", valueName: "FILE"))
    var peakProfile: String?

    @Option(help: "Sampling rate in bytes for the heap profile (1 = every allocation). Default 524288 with -o.")
    var rate: Int64?

    @Flag(name: .customLong("keep-runtime-frames"),
          help: "Keep the Swift runtime's and standard library's frames at the top of stacks (MEMPROF_KEEP_RUNTIME_FRAMES=1).")
    var keepRuntimeFrames = false

    @Option(help: ArgumentHelp("Write a heap profile the moment the program's live heap first exceeds SIZE (2GB, 512MiB, bytes); default MEMPROF_PROFILE_THRESHOLD.", valueName: "SIZE"))
    var threshold: String?

    @Option(help: ArgumentHelp("Write a heap profile each time this signal (USR2, 12) reaches the program or memprof; default MEMPROF_PROFILE_SIGNAL.", valueName: "NAME"))
    var signal: String?

    @Option(help: ArgumentHelp("Write a chart of live heap and RSS over time (HTML) to this file when the program ends.", valueName: "FILE"))
    var timeline: String?

    @Flag(help: "Count Swift objects by type (exactly; every allocation takes the hook's slow path) and print the top types by live bytes (MEMPROF_TYPES=1).")
    var types = false

    @Argument(parsing: .postTerminator, help: "The program and its arguments (after --).")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the program to run after --, e.g. memprof run -- ./app") }
        if let rate, rate < 0 { throw ValidationError("--rate must be 0 or more (bytes between samples)") }
        _ = try dumps()
    }

    /// The profiles to write while the program runs, from the options or the environment.
    private func dumps() throws -> PreloadRun.Dumps? {
        let env = ProcessInfo.processInfo.environment
        let thresholdText = threshold ?? env["MEMPROF_PROFILE_THRESHOLD"].flatMap { $0.isEmpty ? nil : $0 }
        let signalText = signal ?? env["MEMPROF_PROFILE_SIGNAL"].flatMap { $0.isEmpty ? nil : $0 }
        guard thresholdText != nil || signalText != nil else { return nil }
        var dumps = PreloadRun.Dumps(path: output ?? "memprof-heap.pb.gz")
        if let thresholdText {
            guard let bytes = ProfileDumps.Configuration.byteCount(thresholdText) else {
                throw ValidationError("--threshold \(thresholdText) is not a size such as 2GB, 512MiB or 1000000")
            }
            dumps.thresholdBytes = bytes
        }
        if let signalText {
            guard let number = ProfileDumps.Configuration.signalNumber(signalText) else {
                throw ValidationError("--signal \(signalText) is not a signal name or number (USR1, USR2, HUP, 12)")
            }
            dumps.signal = number
        }
        return dumps
    }

    func run() throws {
        guard let library = PreloadLibraryLocator.find() else {
            throw ValidationError("cannot find the preload library (set MEMPROF_PRELOAD_LIB)")
        }
        // An output that could not be written is said before the program runs, not after.
        for path in [output, peakProfile, summaryJSON, timeline].compactMap({ $0 }) {
            if let problem = Diagnostics.unwritable(path) {
                Diagnostics.printError(problem + " (the program was not started)")
                throw ExitCode(1)
            }
        }
        let timelineRecorder = TimelineRecorder.start(timeline)
        if keepRuntimeFrames { setenv("MEMPROF_KEEP_RUNTIME_FRAMES", "1", 1) }
        let result: PreloadRun.Result
        do {
            // Without a profile to write only the exact counters are wanted: sampling stays off.
            let dumps = try dumps()
            let sampling = output == nil && peakProfile == nil && dumps == nil ? 0 : (rate ?? 524_288)
            var preload = PreloadRun(arguments: command, preloadLibrary: library,
                                     environment: ["MEMPROF_RATE": String(sampling)].merging(types ? ["MEMPROF_TYPES": "1"] : [:]) { $1 },
                                     dumps: dumps) { written in
                let message = written.hasPrefix("cannot") ? written : "heap profile written to \(written) while the program runs"
                FileHandle.standardError.write(Data("memprof: \(message)\n".utf8))
            }
            // MEMPROF_RUN_WARM=0 resolves addresses only after the exit (to measure the warming).
            preload.symbolizesWhileRunning = sampling != 0 && ProcessInfo.processInfo.environment["MEMPROF_RUN_WARM"] != "0"
            result = try preload.run()
        } catch let failure as PreloadRun.Failure {
            // As a shell does: 127 when the command cannot be run.
            FileHandle.standardError.write(Data("memprof: \(failure.description)\n".utf8))
            throw ExitCode(127)
        }
        let timelineWritten = timelineRecorder?.finish(command: command, result: result) ?? true
        if let line = result.traceExitLine { FileHandle.standardError.write(Data(line.utf8)) }
        let profile = output == nil ? nil : result.heapProfile()
        let summary = RunSummary(command: command, result: result, profile: profile)
        FileHandle.standardError.write(Data(summary.text.utf8))
        if let output {
            do {
                let bytes = (profile ?? HeapProfile.empty(rate: rate ?? 524_288)).encoded(gzip: true)
                try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
                FileHandle.standardError.write(Data("memprof: heap profile written to \(output) (go tool pprof -top \(output))\n".utf8))
            } catch {
                Diagnostics.printError(Diagnostics.cannotWrite(output, error))
                throw ExitCode(1)
            }
        }
        if let peakProfile {
            do {
                let bytes = (result.peakHeapProfile() ?? HeapProfile.empty(rate: rate ?? 524_288)).encoded(gzip: true)
                try Data(bytes).write(to: URL(fileURLWithPath: peakProfile), options: .atomic)
                let live = Memprof.formatBytes(result.peakCopiedLiveBytes)
                FileHandle.standardError.write(Data("memprof: the heap at its peak (\(live) live) written to \(peakProfile)\n".utf8))
            } catch {
                Diagnostics.printError(Diagnostics.cannotWrite(peakProfile, error))
                throw ExitCode(1)
            }
        }
        if let path = summaryJSON {
            do {
                try Data(summary.json.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                Diagnostics.printError(Diagnostics.cannotWrite(path, error))
                throw ExitCode(1)
            }
        }
        if !timelineWritten { throw ExitCode(1) }
        // The run ends here: the process exits without taking apart what it built (the
        // child's samples, the symbolizer, the profile: a few ms of frees and unmaps on a large
        // profile, after the child is gone).
        withExtendedLifetime((result, profile, summary)) {
            Foundation.exit(result.termination.shellStatus)
        }
    }
}


/// The trace MEMPROF_TRACE asks for is the children's: this process does not trace itself
/// (the hook linked into it looks this symbol up).
@_cdecl("memprof_trace_opt_out")
func memprofTraceOptOut() -> Int32 { 1 }
