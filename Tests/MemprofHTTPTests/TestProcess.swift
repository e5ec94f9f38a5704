import Foundation

/// Runs a program to completion with output captured in files (no pipe deadlocks).
struct TestProcess {
    var status: Int32
    var stdout: String
    var stderr: String

    static func run(_ path: String, _ arguments: [String], environment extra: [String: String] = [:],
                    timeout: TimeInterval = 120) throws -> TestProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("memprof-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw RawHTTPError(description: "\(path) \(arguments) did not finish within \(timeout) s")
        }
        return TestProcess(status: process.terminationStatus,
                           stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                           stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Environment for `go tool pprof`: private HOME, GOCACHE and PPROF_TMPDIR.
    static func goEnvironment() throws -> [String: String] {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("memprof-go-\(UUID().uuidString)")
        var environment: [String: String] = ["GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"]
        for name in ["HOME", "GOCACHE", "PPROF_TMPDIR"] {
            let path = base.appendingPathComponent(name.lowercased())
            try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
            environment[name] = path.path
        }
        return environment
    }
}
