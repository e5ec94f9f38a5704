import Foundation
import XCTest

/// Paths and runners for the tests of the analysis commands.
enum CLI {
    static let golden = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Golden")
    static let goFixtures = packageRoot.appendingPathComponent("Tests/MemprofProfileTests/Fixtures/go")
    static func fixture(_ name: String) -> String { goFixtures.appendingPathComponent(name).path }

    /// True when golden files are re-recorded (`MEMPROF_RECORD=1`).
    static let recording = ProcessInfo.processInfo.environment["MEMPROF_RECORD"] == "1"

    /// The environment both tools run with: UTC for `Time:` lines, no colour, and private
    /// directories for go.
    static let environment: [String: String] = {
        let home = scratch.appendingPathComponent("gohome")
        try? FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return ["TZ": "UTC", "HOME": home.path, "GOCACHE": home.appendingPathComponent("cache").path,
                "PPROF_TMPDIR": home.path, "PPROF_BINARY_PATH": home.appendingPathComponent("none").path,
                "NO_COLOR": "1"]
    }()

    /// Runs `memprof` with `arguments`, feeding `input` to its standard input.
    static func memprof(_ arguments: [String], input: String? = nil, directory: URL? = nil,
                        timeout: TimeInterval = 120) throws -> Completed {
        try run(product("memprof"), arguments, input: input, directory: directory, timeout: timeout)
    }

    /// Runs `go tool pprof` with `arguments`; throws unless it exits 0. Returns its stdout.
    static func pprof(_ arguments: [String], directory: URL? = nil) throws -> String {
        let r = try run("/usr/bin/go", ["tool", "pprof"] + arguments, directory: directory)
        guard r.status == 0 else {
            throw NSError(domain: "pprof", code: Int(r.status),
                          userInfo: [NSLocalizedDescriptionKey: "go tool pprof \(arguments) failed: \(r.stderr)"])
        }
        return r.stdout
    }

    /// Runs a program with the test environment, optional input and working directory.
    static func run(_ path: String, _ arguments: [String], input: String? = nil, directory: URL? = nil,
                    timeout: TimeInterval = 120) throws -> Completed {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inPipe
        try p.run()
        let writer = inPipe.fileHandleForWriting
        DispatchQueue.global().async {
            if let input { writer.write(Data(input.utf8)) }
            try? writer.close()
        }
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            p.terminate()
            throw NSError(domain: "memprof-tests", code: 1,
                          userInfo: [NSLocalizedDescriptionKey: "\(path) \(arguments) timed out after \(timeout) s"])
        }
        p.waitUntilExit()
        return Completed(status: p.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                         stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// Bytes read on another thread; read only after the group is done.
    final class DataBox: @unchecked Sendable {
        var data = Data()
    }

    /// Compares `actual` with the golden file `name`, first writing it there when recording
    /// (with `record`, which produces the reference text; by default `actual` itself).
    static func assertGolden(_ actual: String, _ name: String, record: (() throws -> String)? = nil,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let url = golden.appendingPathComponent(name)
        if recording {
            try FileManager.default.createDirectory(at: golden, withIntermediateDirectories: true)
            try (record?() ?? actual).write(to: url, atomically: true, encoding: .utf8)
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("missing golden file \(name): run the tests with MEMPROF_RECORD=1", file: file, line: line)
            return
        }
        XCTAssertEqual(actual, expected, "\(name): \(firstDifference(actual, expected) ?? "")", file: file, line: line)
    }

    /// The first differing line of two texts.
    static func firstDifference(_ a: String, _ b: String) -> String? {
        let la = a.components(separatedBy: "\n"), lb = b.components(separatedBy: "\n")
        for i in 0..<max(la.count, lb.count) {
            let x = i < la.count ? la[i] : "<missing>", y = i < lb.count ? lb[i] : "<missing>"
            if x != y { return "line \(i + 1):\n  ours:     \(x)\n  expected: \(y)" }
        }
        return nil
    }
}
