import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `memprof-http-demo` process on a loopback port of the kernel's choosing, for tests that measure the memory
/// of a whole service from outside: heap from `/debug/memstats`, RSS from `/proc/PID/status`.
final class DemoService {
    let process = Process()
    private(set) var port = 0
    private let output: URL

    /// The demo built beside this test bundle.
    static var binary: String {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.pathExtension != "xctest" && url.path != "/" { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("memprof-http-demo").path
    }

    init(arguments: [String], environment: [String: String] = [:]) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("memprof-demo-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        // Port 0: the kernel picks a free port as the demo binds it (none to race for), and
        // the demo's first line says which.
        process.arguments = ["--address", "127.0.0.1:0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOf: output, encoding: .utf8),
               let match = text.firstMatch(of: #/listening on http://[^\s]*:(\d+)\n/#), let port = Int(match.1) {
                self.port = port
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        stop()
        throw RawHTTPError(description: "memprof-http-demo did not start listening")
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: output)
    }

    /// GET with a status check.
    @discardableResult
    func get(_ target: String, timeout: Int = 60) throws -> RawHTTPResponse {
        let response = try RawHTTP.get(port: port, target, timeout: timeout)
        guard response.status == 200 else { throw RawHTTPError(description: "\(target): status \(response.status)") }
        return response
    }

    /// VmRSS of the process, in bytes.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else {
            throw RawHTTPError(description: "no VmRSS")
        }
        return kib * 1024
    }

    /// `memstats` of `/debug/memstats` (heapAlloc, profilerHeap, ...).
    func memstats() throws -> [String: Int] {
        let document = try JSONSerialization.jsonObject(with: Data(try get("/debug/memstats").body)) as? [String: Any]
        guard let stats = document?["memstats"] as? [String: Any] else { throw RawHTTPError(description: "no memstats") }
        return stats.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// Heap (heapAlloc) and RSS now, in bytes.
    func memory() throws -> (heap: Int, rss: Int) {
        let heap = try memstats()["heapAlloc"] ?? 0
        return (heap, try residentBytes())
    }
}

func mebibytes(_ bytes: Int) -> String { String(format: "%.2f MiB", Double(bytes) / 1_048_576) }
