import Foundation
import Memprof

/// `memprof run --timeline FILE.html`: while the program runs, the parent reads its live heap
/// (the exact counters in the shared state file) and its RSS (/proc/PID/statm) every
/// `interval` seconds; when it ends, the readings become a chart (`TimelineReport`).
///
/// The reads are the parent's: the program does no extra work and its memory is not touched.
final class TimelineRecorder: @unchecked Sendable {
    /// One point of the chart.
    struct Point: Equatable {
        /// Seconds since the recorder started.
        var at: Double
        var liveBytes: UInt64
        var residentBytes: UInt64
    }

    let path: String
    let interval: Double
    private let lock = NSLock()
    private var points: [Point] = []
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    /// Starts recording the first child of this process, if `path` is given.
    static func start(_ path: String?, interval: Double = 0.02) -> TimelineRecorder? {
        guard let path else { return nil }
        let recorder = TimelineRecorder(path: path, interval: interval)
        Thread { recorder.record() }.start()
        return recorder
    }

    init(path: String, interval: Double) {
        self.path = path
        self.interval = interval
    }

    /// The points so far.
    var readings: [Point] { lock.withLock { points } }

    private func record() {
        let start = Date()
        var child: Int32?
        var counters: SharedCounters?
        while !lock.withLock({ stopped }) {
            if child == nil { child = ProcessName.children(of: getpid()).first }
            if let pid = child {
                if counters == nil { counters = SharedCounters(pid: pid) }
                if let c = counters?.read(), let rss = Statm.residentBytes(pid), rss > 0 {
                    let point = Point(at: Date().timeIntervalSince(start), liveBytes: c.liveBytes, residentBytes: rss)
                    lock.withLock { points.append(point) }
                }
            }
            usleep(useconds_t(interval * 1_000_000))
        }
        done.signal()
    }

    /// Stops recording and writes the chart, with the exact peak and the live heap at exit.
    /// Returns false when the chart could not be written (the error is printed): `memprof
    /// run` then ends with status 1, as for its other outputs, after writing those.
    func finish(command: [String], result: PreloadRun.Result) -> Bool {
        lock.withLock { stopped = true }
        done.wait()
        let points = readings
        let html = TimelineReport(command: command, points: points, seconds: result.seconds,
                                  peakLiveBytes: result.counters?.peakLiveBytes, exitLiveBytes: result.counters?.liveBytes).html
        do {
            try Data(html.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            Diagnostics.printNote("timeline of live heap and RSS (\(points.count) readings) written to \(path)")
            return true
        } catch {
            Diagnostics.printError(Diagnostics.cannotWrite(path, error))
            return false
        }
    }
}
