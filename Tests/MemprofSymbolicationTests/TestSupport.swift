import Foundation
import XCTest

/// Helpers shared by the tests: running toolchain programs and building the workload binaries.
enum TestSupport {
    static let toolchainBin: String = {
        if let env = ProcessInfo.processInfo.environment["MEMPROF_TOOLCHAIN_BIN"] { return env }
        return "/opt/swift/usr/bin"
    }()

    struct RunError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `executable` with `arguments`, feeding `input` on stdin; returns stdout.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], input: String? = nil,
                    currentDirectory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let errPath = NSTemporaryDirectory() + "memprof-symbols-stderr-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let out = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = errHandle
        process.standardInput = inPipe
        try process.run()
        try? errHandle.close()
        let writer = inPipe.fileHandleForWriting
        let bytes = (input ?? "").data(using: .utf8)!
        let thread = Thread {
            writer.write(bytes)
            try? writer.close()
        }
        thread.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while thread.isExecuting { usleep(1000) }
        guard process.terminationStatus == 0 else {
            let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw RunError(description: "\(executable) \(arguments.joined(separator: " ")) failed: " + errText)
        }
        return String(data: data, encoding: .utf8) ?? ""
    }

    /// A fresh temporary directory.
    static func makeTemporaryDirectory(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "memprof-symbols-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static var built: [String: String] = [:]
    private static let lock = NSLock()

    /// Builds (once per test run) a workload binary: `kind` is `swift-dwarf4`, `swift-dwarf5`,
    /// `swift-zlib` (compressed debug sections), `swift-library` (a shared library), `c-dwarf5`
    /// or `c-mixed` (a gcc unit with `.debug_aranges`, a clang unit without). Returns its path.
    static func workloadBinary(_ kind: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = built[kind] { return path }
        let dir = try makeTemporaryDirectory(kind)
        let output = dir + "/workload"
        if kind == "swift-library" {
            try WorkloadSources.library.write(toFile: dir + "/Library.swift", atomically: true, encoding: .utf8)
            try run(toolchainBin + "/swiftc", ["-O", "-g", "-emit-library", "Library.swift", "-o", output + ".so",
                                               "-module-name", "Workload"], currentDirectory: dir)
            built[kind] = output + ".so"
            return output + ".so"
        }
        if kind.hasPrefix("swift") {
            try WorkloadSources.main.write(toFile: dir + "/main.swift", atomically: true, encoding: .utf8)
            try WorkloadSources.helper.write(toFile: dir + "/Helper.swift", atomically: true, encoding: .utf8)
            var args = ["-O", "-g", "main.swift", "Helper.swift", "-o", output, "-module-name", "Workload"]
            if kind == "swift-dwarf5" { args += ["-dwarf-version=5"] }
            if kind == "swift-zlib" { args += ["-Xlinker", "--compress-debug-sections=zlib"] }
            try run(toolchainBin + "/swiftc", args, currentDirectory: dir)
        } else if kind == "c-mixed" {
            // gcc's unit has a `.debug_aranges` set, clang's none: the unit index reads the
            // first from that section and the second from its unit DIE.
            try WorkloadSources.c.write(toFile: dir + "/work.c", atomically: true, encoding: .utf8)
            try WorkloadSources.cExtra.write(toFile: dir + "/extra.c", atomically: true, encoding: .utf8)
            try run("/usr/bin/gcc", ["-O2", "-g", "-c", "work.c", "-o", "work.o"], currentDirectory: dir)
            try run(toolchainBin + "/clang", ["-O2", "-g", "-gdwarf-5", "-c", "extra.c", "-o", "extra.o"], currentDirectory: dir)
            try run("/usr/bin/gcc", ["work.o", "extra.o", "-o", output], currentDirectory: dir)
        } else {
            try WorkloadSources.c.write(toFile: dir + "/work.c", atomically: true, encoding: .utf8)
            try run(toolchainBin + "/clang", ["-O2", "-g", "-gdwarf-5", "work.c", "-o", output], currentDirectory: dir)
        }
        built[kind] = output
        return output
    }
}
