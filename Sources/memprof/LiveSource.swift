import Foundation
import Memprof
import MemprofProfile

/// One reading of a running program for `memprof live` and the timeline: the exact counters,
/// RSS, and (when sampling is on) its heap profile.
struct LiveSample {
    /// Seconds since the view started.
    var at: Double
    /// Bytes in live malloc blocks (exact).
    var liveBytes: UInt64
    /// Highest live heap so far (exact).
    var peakLiveBytes: UInt64
    /// Bytes allocated since the program started, freed or not (exact): the rate is its slope.
    var allocatedBytes: UInt64
    /// Resident set size, bytes.
    var residentBytes: UInt64
    /// The sampled heap (nil when not read this time, or nothing sampled yet).
    var profile: Profile?
    /// The program had ended: the counters and profile are its final ones, and RSS is the
    /// last one read while it ran.
    var exited = false
}

/// Where readings come from: a program memprof started, or a service's endpoint.
protocol LiveSource: AnyObject {
    /// What the header names: the command or the URL.
    var title: String { get }
    /// A reading now; nil when none could be taken (not started yet, or gone).
    func read(at: Double, withProfile: Bool) throws -> LiveSample?
    /// True once the program has ended (a service never ends).
    var finished: Bool { get }
}

/// `memprof live -- CMD`: the program runs under the hook on another thread (as `memprof run`);
/// readings come from its shared state file and /proc.
final class ProgramLiveSource: LiveSource, @unchecked Sendable {
    let title: String
    private let lock = NSLock()
    private var outcome: Result<PreloadRun.Result, Error>?
    private var child: Int32?
    private var counters: SharedCounters?
    private var snapshot: SharedStateSnapshot?
    private var lastResidentBytes: UInt64 = 0

    init(command: [String], preloadLibrary: String, rate: Int) {
        title = ShellQuoting.line(command)
        let run = PreloadRun(arguments: command, preloadLibrary: preloadLibrary, environment: ["MEMPROF_RATE": String(rate)])
        Thread {
            let result = Result { try run.run() }
            self.lock.withLock { self.outcome = result }
        }.start()
    }

    var finished: Bool { lock.withLock { outcome != nil } }

    /// The run's result once it ended (rethrows its failure to start).
    func result() throws -> PreloadRun.Result? { try lock.withLock { outcome }?.get() }

    /// The reading at the program's end: its final counters and heap profile (nil when it
    /// has not ended, could not start, or never reached the hook).
    func exitSample(at: Double) -> LiveSample? {
        guard let result = try? result(), let c = result.counters else { return nil }
        return LiveSample(at: at, liveBytes: c.liveBytes, peakLiveBytes: c.peakLiveBytes, allocatedBytes: c.allocatedBytes,
                          residentBytes: lastResidentBytes, profile: result.heapProfile(), exited: true)
    }

    func read(at: Double, withProfile: Bool) throws -> LiveSample? {
        if finished { return nil }
        if child == nil { child = ProcessName.children(of: getpid()).first }
        guard let pid = child else { return nil }
        if counters == nil { counters = SharedCounters(pid: pid) }
        if snapshot == nil, let path = SharedCounters.environmentValue("MEMPROF_SHM", pid: pid) {
            snapshot = SharedStateSnapshot(path: path)
        }
        // RSS 0: the program is exiting (its pages are gone); the exit frame follows.
        guard let c = counters?.read(), let rss = Statm.residentBytes(pid), rss > 0 else { return nil }
        lastResidentBytes = rss
        return LiveSample(at: at, liveBytes: c.liveBytes, peakLiveBytes: c.peakLiveBytes, allocatedBytes: c.allocatedBytes,
                          residentBytes: rss, profile: withProfile ? snapshot?.profile() : nil)
    }
}

/// `memprof live URL`: a service serving memprof's endpoints (`/debug/memstats`,
/// `/debug/pprof/heap`), polled over HTTP.
final class ServiceLiveSource: LiveSource {
    let title: String
    private let base: String
    private let timeout: Double

    /// `url` is the service's address (`http://host:port`), with or without a `/debug/...` path.
    init(url: String, timeout: Double) {
        var base = url
        if let range = base.range(of: "/debug/") { base = String(base[..<range.lowerBound]) }
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        self.timeout = timeout
        title = base
    }

    var finished: Bool { false }

    func read(at: Double, withProfile: Bool) throws -> LiveSample? {
        let fetcher = HTTPFetcher(timeout: timeout, maxBytes: 256 << 20)
        let body: [UInt8]
        do {
            body = try fetcher.get(base + "/debug/memstats")
        } catch let failure as HTTPFetcher.Failure {
            throw CLIFailure("\(base)/debug/memstats: \(failure.description)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let stats = json["memstats"] as? [String: Any] else {
            throw CLIFailure("\(base)/debug/memstats: not memprof's memstats JSON")
        }
        func number(_ dict: [String: Any]?, _ key: String) -> UInt64 { (dict?[key] as? NSNumber)?.uint64Value ?? 0 }
        let process = json["process"] as? [String: Any]
        var sample = LiveSample(at: at, liveBytes: number(stats, "alloc"), peakLiveBytes: number(stats, "peakAlloc"),
                                allocatedBytes: number(stats, "totalAlloc"), residentBytes: number(process, "residentBytes"))
        if withProfile {
            sample.profile = try ProfileLoader.load(base + "/debug/pprof/heap", timeout: timeout)
        }
        return sample
    }
}
