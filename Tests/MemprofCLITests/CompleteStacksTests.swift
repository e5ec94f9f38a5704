import Foundation
import MemprofProfile
import XCTest

/// Sampled stacks are complete through code without frame pointers: glibc (stdio, the
/// resolver, qsort) under a Swift program, and a C program built with -fomit-frame-pointer,
/// in a thread, in signal handlers (on the stack and on an alternate signal stack), and in
/// libraries loaded and unloaded with dlopen/dlclose. Checked at rate 1 and at the default rate.
final class CompleteStacksTests: XCTestCase {
    private static let cc = FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") ? "/usr/bin/cc" : "/opt/swift/usr/bin/clang"
    private static let swiftc = "/opt/swift/usr/bin/swiftc"
    private static let support = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support")

    /// The C program and its two plugins, built once: (program, plugin A, plugin B).
    private static let cProgram: Result<[String], Error> = Result {
        let dir = scratch.appendingPathComponent("omit-fp")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let flags = ["-O2", "-fomit-frame-pointer", "-g"]
        let exe = dir.appendingPathComponent("omit_fp_stacks").path
        let a = dir.appendingPathComponent("libplugin_a.so").path, b = dir.appendingPathComponent("libplugin_b.so").path
        let plugin = support.appendingPathComponent("omit_fp_plugin.c").path
        for (args, what) in [(flags + ["-o", exe, support.appendingPathComponent("omit_fp_stacks.c").path, "-lpthread", "-ldl"], "program"),
                             (flags + ["-shared", "-fPIC", "-o", a, plugin], "plugin A"),
                             (flags + ["-shared", "-fPIC", "-DPADDING=300", "-o", b, plugin], "plugin B")] {
            let r = try runProgram(cc, args)
            guard r.status == 0 else { throw NSError(domain: "build", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(what): \(r.stderr)"]) }
        }
        return [exe, a, b]
    }

    /// The Swift program, built once with `swiftc -O -g`.
    private static let swiftProgram: Result<String, Error> = Result {
        let exe = scratch.appendingPathComponent("glibc_stacks").path
        let r = try runProgram(swiftc, ["-O", "-g", "-o", exe, support.appendingPathComponent("glibc_stacks.swift").path],
                               timeout: 300)
        guard r.status == 0 else { throw NSError(domain: "build", code: 1, userInfo: [NSLocalizedDescriptionKey: r.stderr]) }
        return exe
    }

    /// `memprof run -o` with the rate given (nil: the default) and the program's stacks.
    private func profileStacks(_ command: [String], rate: Int?, environment: [String: String] = [:]) throws -> SampledStacks {
        let out = scratch.appendingPathComponent("stacks-\(UUID().uuidString).pb.gz").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var args = ["run", "-o", out]
        if let rate { args += ["--rate", String(rate)] }
        let r = try runProgram(product("memprof"), args + ["--"] + command, environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        return SampledStacks(try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out)))))
    }

    private func assertComplete(_ s: SampledStacks, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThan(s.stacks.count, 0, file: file, line: line)
        XCTAssertGreaterThanOrEqual(s.completeShare, 0.99, "incomplete stacks:\n\(s.incompleteDescription())", file: file, line: line)
    }

    private func assertHas(_ s: SampledStacks, _ frames: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(s.matching(frames).isEmpty, "no stack with \(frames.joined(separator: " <- ")); stacks with \(frames[0]):\n" +
                       s.stacks.filter { $0.frames.contains { $0.contains(frames[0]) } }.prefix(3)
                           .map { $0.frames.joined(separator: " <- ") }.joined(separator: "\n"), file: file, line: line)
    }

    // MARK: C without frame pointers

    func testCProgramWithoutFramePointersAtRateOne() throws {
        let built = try Self.cProgram.get()
        let s = try profileStacks([built[0], built[1], built[2]], rate: 1)
        assertComplete(s)
        assertHas(s, ["level_three", "level_two", "level_one", "main"])
        XCTAssertEqual(s.matching(["level_three", "level_two", "level_one", "main"]).count, s.matching(["level_three"]).count,
                       "every level_three stack is whole")
        assertHas(s, ["thread_work", "start_thread"])
        // Through the kernel's signal frame (__restore_rt) into the interrupted code.
        assertHas(s, ["on_signal", "raise", "signal_trigger", "main"])
        assertHas(s, ["on_alt_signal", "raise", "alt_signal_trigger", "main"])
        // Both plugins: the second is loaded after the first was unloaded, maybe at its address.
        // (The frame between is plugin_alloc; the profile may name the second copy's after the
        // first library's symbols when both had one address: a matter of mappings, not stacks.)
        let plugins = s.matching(["plugin_inner", "call_plugin", "main"])
        XCTAssertEqual(plugins.count, 2, s.matching(["plugin_inner"]).map { $0.frames.joined(separator: " <- ") }.joined(separator: "\n"))
        for p in plugins {
            XCTAssertEqual(p.frames.firstIndex { $0.contains("call_plugin") }, 2, "plugin_inner <- plugin_alloc <- call_plugin: \(p.frames)")
        }
    }

    func testCProgramWithoutFramePointersAtDefaultRate() throws {
        let built = try Self.cProgram.get()
        // 400 rounds of ~70 KiB: about 55 samples at one per 512 KiB.
        let s = try profileStacks([built[0], built[1], built[2]], rate: nil, environment: ["OMIT_FP_ROUNDS": "400"])
        assertComplete(s)
        assertHas(s, ["level_three", "level_two", "level_one", "main"])
        XCTAssertEqual(s.matching(["level_three", "level_two", "level_one", "main"]).count, s.matching(["level_three"]).count)
    }

    // MARK: Swift calling into glibc

    func testSwiftProgramThroughGlibcAtRateOne() throws {
        let exe = try Self.swiftProgram.get()
        let s = try profileStacks([exe], rate: 1)
        assertComplete(s)
        // stdio's buffers, allocated deep in glibc, are attributed to the Swift caller.
        assertHas(s, ["_IO_file_doallocate", "openFiles(", "main"])
        assertHas(s, ["fopen", "openFiles(", "main"])
        assertHas(s, ["getaddrinfo", "resolveNames(", "main"])
        // The comparison closure runs inside glibc's qsort and its allocations are its own.
        assertHas(s, ["closure", "qsort", "sortWithAlloc(", "main"])
        let closure = s.matching(["closure", "sortWithAlloc("]).reduce(0) { $0 + $1.allocatedBytes }
        XCTAssertGreaterThan(Double(closure), 0.9 * Double(s.totalBytes), "the closure's 4 KiB blocks are most of the bytes")
        // 200 buffers of st_blksize bytes (1 KiB for /proc files), each from openFiles.
        let buffers = s.matching(["_IO_file_doallocate", "openFiles(", "main"]).reduce(0) { $0 + $1.allocatedBytes }
        XCTAssertGreaterThanOrEqual(buffers, 200 * 1024, "200 files' buffers at least")
    }

    func testSwiftProgramThroughGlibcAtDefaultRate() throws {
        let exe = try Self.swiftProgram.get()
        let s = try profileStacks([exe], rate: nil)
        assertComplete(s)
        assertHas(s, ["closure", "qsort", "sortWithAlloc(", "main"])
    }
}
