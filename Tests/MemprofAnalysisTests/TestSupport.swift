import Foundation
import MemprofProfile
import XCTest

/// Paths of the test data, found from this file's location.
enum TestPaths {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let golden = testsDir.appendingPathComponent("Golden")
    static let goFixtures = testsDir.deletingLastPathComponent()
        .appendingPathComponent("MemprofProfileTests/Fixtures/go")

    static func goFixture(_ name: String) -> URL { goFixtures.appendingPathComponent(name) }
}

/// True when golden files should be re-recorded from `go tool pprof`.
let recordingGolden = ProcessInfo.processInfo.environment["MEMPROF_RECORD"] == "1"

func loadProfile(_ url: URL) throws -> Profile {
    let data = try Data(contentsOf: url)
    return try Profile.parse([UInt8](data))
}

/// Runs `go tool pprof` with TZ=UTC and a private HOME/GOCACHE, returning its standard
/// output; fails the test (throws) when it exits non-zero.
enum GoPprof {
    static let goBinary = "/usr/bin/go"
    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("memprof-analysis-go")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: goBinary) }

    /// `go tool pprof ARGS`; with `tool: []`, `go ARGS` (`go run program.go`).
    static func run(_ args: [String], in directory: URL? = nil, tool: [String] = ["tool", "pprof"]) throws -> String {
        try runWithErrors(args, in: directory, tool: tool).output
    }

    /// `run`, with what the command wrote on standard error.
    static func runWithErrors(_ args: [String], in directory: URL? = nil, tool: [String] = ["tool", "pprof"]) throws
        -> (output: String, errors: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: goBinary)
        if let directory { p.currentDirectoryURL = directory }
        p.arguments = tool + args
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        env["HOME"] = scratch.path
        env["GOCACHE"] = scratch.appendingPathComponent("gocache").path
        env["PPROF_TMPDIR"] = scratch.path
        env["PPROF_BINARY_PATH"] = scratch.appendingPathComponent("nobinaries").path
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "go \((tool + args).joined(separator: " ")) failed: "
                + String(decoding: errData, as: UTF8.self))
        }
        return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

/// Sets TZ=UTC for this process so `Time:` lines match the recorded outputs.
func useUTC() {
    setenv("TZ", "UTC", 1)
    tzset()
}

/// A line-by-line comparison message: the first differing line of each side.
func firstDifference(_ a: String, _ b: String) -> String? {
    let la = a.components(separatedBy: "\n"), lb = b.components(separatedBy: "\n")
    for i in 0..<max(la.count, lb.count) {
        let x = i < la.count ? la[i] : "<missing>", y = i < lb.count ? lb[i] : "<missing>"
        if x != y { return "line \(i + 1):\n  ours: \(x)\n  go:   \(y)" }
    }
    return nil
}

/// Runs `body` with the process's current directory set to `directory`, as `go tool pprof`
/// run there would see it (for `list`, which searches the current directory).
func withCurrentDirectory<T>(_ directory: URL, _ body: () throws -> T) rethrows -> T {
    let saved = FileManager.default.currentDirectoryPath
    _ = FileManager.default.changeCurrentDirectoryPath(directory.path)
    defer { _ = FileManager.default.changeCurrentDirectoryPath(saved) }
    return try body()
}
