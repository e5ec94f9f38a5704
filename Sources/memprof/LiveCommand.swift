import ArgumentParser
import Foundation
import Memprof

/// `memprof live -- CMD` and `memprof live URL`: the heap of a running program, refreshed.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Watch a program's heap while it runs: live heap, RSS, allocation rate, top sites.",
        discussion: """
            Examples:
              memprof live -- ./server --port 8080
                  run a program under the hook
              memprof live http://localhost:6060
                  a service serving memprof's endpoints
              memprof live --frames 5 --interval 2 -- ./batch > heap.log

            Every --interval seconds: the live heap, RSS, the highest live heap,
            the allocation rate, and the top sites (functions, as memprof top names
            them) by the sample type, with each one's growth since the view
            started. On a terminal the screen is redrawn; keys: s changes the sample
            type, o sorts by value or growth, q quits (and stops a program memprof
            started). When standard output is not a terminal, or with --frames N,
            frames are printed one after another as plain text.
            """
    )

    @Argument(help: ArgumentHelp("A service's address (http://host:port), or nothing with -- CMD.", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("Print this many frames as plain text, then stop.", valueName: "n"))
    var frames: Int?

    @Option(help: ArgumentHelp("Seconds between frames.", valueName: "seconds"))
    var interval: Double = 1

    @Option(name: [.customLong("sample-index"), .customLong("sample_index")],
            help: ArgumentHelp("Sample type of the sites: inuse_space, inuse_objects, alloc_space, alloc_objects.",
                               valueName: "name"))
    var sampleIndex = "inuse_space"

    @Option(help: ArgumentHelp("Order sites by their value or by their growth since the start.", valueName: "value|growth"))
    var sort = "value"

    @Option(name: .short, help: ArgumentHelp("Sites shown.", valueName: "n"))
    var count = 10

    @Option(help: ArgumentHelp("With -- CMD: sampling rate in bytes (1 = every allocation).", valueName: "bytes"))
    var rate = 524_288

    @Flag(help: "Show Swift functions by their full demangled signatures, not compact names.")
    var fullNames = false

    @Argument(parsing: .postTerminator, help: "A program to run and watch (after --).")
    var command: [String] = []

    func validate() throws {
        if (url == nil) == command.isEmpty {
            throw ValidationError("give a service's URL or a program after --: memprof live -- ./app")
        }
        if let url, !ProfileLoader.isURL(url) { throw ValidationError("\(url) is not an http:// URL") }
        if let frames, frames < 1 { throw ValidationError("--frames must be 1 or more") }
        if !(interval > 0) { throw ValidationError("--interval must be more than 0 seconds") }
        if !LiveView.sampleTypes.contains(sampleIndex) {
            throw ValidationError("--sample-index must be one of \(LiveView.sampleTypes.joined(separator: ", "))")
        }
        if LiveView.Sort(rawValue: sort) == nil { throw ValidationError("--sort must be value or growth") }
        if count < 1 { throw ValidationError("-n must be 1 or more") }
        if rate < 1 { throw ValidationError("--rate must be 1 or more") }
    }

    func run() throws {
        let source: any LiveSource
        var program: ProgramLiveSource?
        if let url {
            source = ServiceLiveSource(url: url, timeout: max(interval * 5, 10))
        } else {
            guard let library = PreloadLibraryLocator.find() else {
                throw ValidationError("cannot find the preload library (set MEMPROF_PRELOAD_LIB)")
            }
            program = ProgramLiveSource(command: command, preloadLibrary: library, rate: rate)
            source = program!
        }
        var view = LiveView(sampleType: sampleIndex, sort: LiveView.Sort(rawValue: sort)!, count: count, fullNames: fullNames)
        let plain = frames != nil || isatty(STDOUT_FILENO) != 1
        let keys = !plain && isatty(STDIN_FILENO) == 1 && LineEditor.enterRawMode()
        view.showsKeys = keys
        defer { if keys { LineEditor.restore() } }
        // A frame: appended as plain text, or drawn over the screen on a terminal.
        let show = { (text: String) in
            Output.write(plain ? text + "\n" : "\u{1B}[H\u{1B}[2J" + text.replacingOccurrences(of: "\n", with: "\r\n"))
        }
        let start = monotonicNow()
        var shown = 0
        var quit = false
        try Diagnostics.run {
            while !quit {
                let tick = monotonicNow()
                if let sample = try source.read(at: tick - start, withProfile: true) {
                    view.add(sample)
                    show(view.frame(title: source.title))
                    shown += 1
                    if let frames, shown >= frames { break }
                } else if source.finished {
                    break
                }
                // Wait for the next frame; on a terminal, keys act at once.
                let next = tick + (shown == 0 ? min(interval, 0.05) : interval)
                while !quit, monotonicNow() < next, !source.finished {
                    let remaining = next - monotonicNow()
                    guard keys, let key = Self.key(within: remaining) else {
                        if !keys { usleep(useconds_t(max(0, min(remaining, 0.05)) * 1_000_000)) }
                        continue
                    }
                    switch key {
                    case UInt8(ascii: "q"), 3: quit = true
                    case UInt8(ascii: "s"): view.nextSampleType()
                    case UInt8(ascii: "o"): view.sort = view.sort == .value ? .growth : .value
                    default: continue
                    }
                    if !quit { show(view.frame(title: source.title)) }
                }
                if source.finished && shown > 0 { break }
            }
            // The program ended by itself: one more frame, from its final counters and profile
            // (a program shorter than the first interval gets this one only).
            if !quit, frames.map({ shown < $0 }) ?? true, let program, let last = program.exitSample(at: monotonicNow() - start) {
                view.add(last)
                show(view.frame(title: source.title))
            }
        }
        guard let program else { return }
        var stopped = false
        if !program.finished {
            stopped = true
            if let pid = ProcessName.children(of: getpid()).first {
                Diagnostics.printNote("stopping \(command[0]) (pid \(pid)) after \(shown) frames")
                kill(pid, SIGTERM)
            }
            while !program.finished { usleep(10_000) }
        }
        do {
            // A program memprof stopped is not a failure; one that ended by itself gives its status.
            if let result = try program.result(), !stopped { throw ExitCode(result.termination.shellStatus) }
        } catch let failure as PreloadRun.Failure {
            Diagnostics.printError(failure.description)
            throw ExitCode(127)
        }
    }

    /// A key pressed within `seconds`, if any.
    private static func key(within seconds: Double) -> UInt8? {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(max(0, seconds) * 1000)) == 1 else { return nil }
        var byte: UInt8 = 0
        return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
    }

    private func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
