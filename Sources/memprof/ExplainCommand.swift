import ArgumentParser
import Foundation
import Memprof

/// `memprof explain PID` and `memprof explain -- CMD ARGS`: why a process uses the memory it
/// does, in plain words and numbers that add up.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a process's memory: VIRT against RSS, and what RSS is made of.",
        discussion: """
            Examples:
              memprof explain 4242                 a running process (as root: any)
              memprof explain -- ./app --load 10   run a program, explain it as it ends

            RSS is split into the malloc heap, stacks, code and libraries and other
            memory; the parts add up to the total of /proc/PID/smaps. When the process
            runs under the hook (memprof explain -- CMD, or started by memprof run), the
            malloc heap is split further with the exact counters: live blocks, and
            memory malloc holds but nobody uses.

            With -- CMD, the program runs under the hook and its memory is read every
            --interval milliseconds (the kernel frees a process's memory as it exits, so
            it cannot be read at the exit itself). The explanation is of the reading with
            the highest RSS (--at peak, the default) or of the last one, taken at most one
            interval before the end (--at last); the exact counters at exit follow.
            """
    )

    @Argument(help: ArgumentHelp("The process to explain.", valueName: "pid"))
    var pid: Int32?

    @Option(help: ArgumentHelp("With -- CMD: milliseconds between readings.", valueName: "ms"))
    var interval: Int = 50

    @Option(help: ArgumentHelp("With -- CMD: explain the reading with the highest RSS (peak) or the last one (last).",
                               valueName: "peak|last"))
    var at: ChildWatcher.Choice = .peak

    @Flag(help: "With -- CMD: also count Swift objects by type and name the types that hold the live heap at exit (MEMPROF_TYPES=1).")
    var types = false

    @Argument(parsing: .postTerminator, help: "A program to run and explain (after --).")
    var command: [String] = []

    func validate() throws {
        if pid == nil && command.isEmpty { throw ValidationError("give a pid, or a program after --: memprof explain -- ./app") }
        if pid != nil && !command.isEmpty { throw ValidationError("give a pid or a program, not both") }
        if interval < 1 { throw ValidationError("--interval must be at least 1 ms") }
        if types && command.isEmpty { throw ValidationError("--types needs a program to run: memprof explain --types -- ./app") }
    }

    func run() throws {
        if let pid {
            try Diagnostics.run { try explain(pid: pid) }
        } else {
            try explainRun()
        }
    }

    private func explain(pid: Int32) throws {
        let counters = SharedCounters(pid: pid)
        let memory: ProcessMemory
        do {
            memory = try ProcessMemory.read(pid: pid, profilerRanges: { counters?.ownRanges() ?? [] })
        } catch {
            let message = "\(error)"
            throw CLIFailure(message.contains("\(pid)") ? message : "pid \(pid): \(message)")
        }
        let name = ProcessName.of(pid).map { " (\($0))" } ?? ""
        if memory.breakdown.mappings.isEmpty {
            // A kernel thread (or a process that is exiting): no user address space to explain.
            Output.write("Memory of pid \(pid)\(name): none in user space (a kernel thread, or a process that is exiting).\n")
            return
        }
        var explanation = MemoryExplanation(memory: memory, counters: counters?.read(),
                                            subject: "pid \(pid)\(name)", terminal: .standardOutput)
        explanation.stateFile = SharedCounters.environmentValue("MEMPROF_SHM", pid: pid)
        Output.write(explanation.text)
    }

    private func explainRun() throws {
        guard let library = PreloadLibraryLocator.find() else {
            throw ValidationError("cannot find the preload library (set MEMPROF_PRELOAD_LIB)")
        }
        let run = PreloadRun(arguments: command, preloadLibrary: library,
                             environment: ["MEMPROF_RATE": "0"].merging(types ? ["MEMPROF_TYPES": "1"] : [:]) { $1 })
        let watcher = ChildWatcher(interval: Double(interval) / 1000, choice: at)
        let result: PreloadRun.Result
        do {
            result = try watcher.watch(run)
        } catch let failure as PreloadRun.Failure {
            Diagnostics.printError(failure.description)
            throw ExitCode(127)
        }
        let name = URL(fileURLWithPath: command[0]).lastPathComponent
        if let kept = watcher.kept {
            // Both times on the watcher's clock: the reading's, and when the run was seen to end.
            let ago = max(0, Int(((watcher.endedAt - kept.at) * 1000).rounded()))
            let when = at == .peak ? "at its highest RSS, \(ago) ms before it ended" : "\(ago) ms before it ended"
            let count = watcher.readings == 1 ? "1 reading" : "\(watcher.readings) readings"
            var explanation = MemoryExplanation(
                memory: kept.memory, counters: kept.counters,
                subject: "\(name) (pid \(result.pid)), read \(when) (\(count))",
                terminal: .standardOutput)
            explanation.stateFile = kept.stateFile
            Output.write(explanation.text)
        } else {
            Diagnostics.printError("\(name) ended after \(Int(result.seconds * 1000)) ms, before its memory could be read")
        }
        if let c = result.counters {
            Output.write("\nAt exit (exact counters): \(c.allocations) allocations, \(c.frees) frees; live \(Memprof.formatBytes(c.liveBytes)) "
                + "in \(c.liveObjects) blocks; peak live \(Memprof.formatBytes(c.peakLiveBytes)); "
                + "allocated in total \(Memprof.formatBytes(c.allocatedBytes)).\n")
            if let census = result.typeCensus { Output.write(TypeExplanation(census: census, liveBytes: c.liveBytes).text) }
        }
        throw ExitCode(result.termination.shellStatus)
    }
}

/// Runs a `PreloadRun` on a thread and reads its child's memory and counters every
/// `interval` seconds while it runs, keeping the last complete reading.
final class ChildWatcher: @unchecked Sendable {
    struct Reading {
        var memory: ProcessMemory
        var counters: AllocationCounters?
        /// Seconds since the watch started.
        var at: Double
        /// memprof's state file mapped into the child, named apart in the explanation.
        var stateFile: String?
    }

    /// Which reading to keep.
    enum Choice: String, ExpressibleByArgument {
        case peak, last
    }

    let interval: Double
    let choice: Choice
    /// The reading kept: the one with the highest RSS, or the last.
    private(set) var kept: Reading?
    /// Complete readings taken.
    private(set) var readings = 0
    /// Seconds from the start of the watch to when the run was seen to end.
    private(set) var endedAt: Double = 0

    init(interval: Double, choice: Choice) {
        self.interval = interval
        self.choice = choice
    }

    func watch(_ run: PreloadRun) throws -> PreloadRun.Result {
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let start = Date()
        let thread = Thread {
            do { outcome.result = .success(try run.run()) } catch { outcome.result = .failure(error) }
            done.signal()
        }
        thread.start()
        var child: Int32?
        var counters: SharedCounters?
        var stateFile: String?
        // A short program would end before the first full interval: wait 1 ms, then twice as
        // long each time up to the interval, so it is read early and often.
        var wait = min(0.001, interval)
        while done.wait(timeout: .now() + wait) == .timedOut {
            if child == nil { child = ProcessName.children(of: getpid()).first }
            guard let pid = child else { continue }
            if counters == nil {
                counters = SharedCounters(pid: pid)
                stateFile = SharedCounters.environmentValue("MEMPROF_SHM", pid: pid)
            }
            let c = counters?.read()
            // A process that is exiting shows no mappings: keep the previous reading then.
            guard let memory = try? ProcessMemory.read(pid: pid, profilerRanges: { counters?.ownRanges() ?? [] }),
                  memory.breakdown.total.residentBytes > 0,
                  memory.residentBytes > 0 else { continue }
            readings += 1
            wait = min(wait * 2, interval)
            let reading = Reading(memory: memory, counters: c, at: Date().timeIntervalSince(start), stateFile: stateFile)
            if choice == .last || memory.breakdown.total.residentBytes >= kept?.memory.breakdown.total.residentBytes ?? 0 {
                kept = reading
            }
        }
        endedAt = Date().timeIntervalSince(start)
        return try outcome.result!.get()
    }

    private final class Outcome: @unchecked Sendable {
        var result: Result<PreloadRun.Result, Error>?
    }
}

/// Names and children of processes, from /proc.
enum ProcessName {
    /// The name of a process: the file name of its first argument (/proc/PID/cmdline), whole;
    /// else its `comm`, which the kernel cuts to 15 bytes (a kernel thread has no cmdline).
    static func of(_ pid: Int32) -> String? {
        if let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
           let first = data.split(separator: 0, omittingEmptySubsequences: false).first, !first.isEmpty {
            let path = String(decoding: first, as: UTF8.self)
            return path.split(separator: "/").last.map(String.init) ?? path
        }
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return nil }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Pids whose parent is `parent`, lowest first.
    static func children(of parent: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var result: [Int32] = []
        for entry in entries {
            guard let pid = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name: state, ppid, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == parent { result.append(pid) }
        }
        return result.sorted()
    }
}
