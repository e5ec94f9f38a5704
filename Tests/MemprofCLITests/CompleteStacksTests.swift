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

    /// The C program and its three plugins, built once: [program, plugin a, plugin b, plugin c].
    /// a and b are one code with other names (so b lands at a's address, with a's return
    /// addresses); c has its code moved by padding.
    private static let cProgram: Result<[String], Error> = Result {
        let dir = scratch.appendingPathComponent("omit-fp")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let flags = ["-O2", "-fomit-frame-pointer", "-g"]
        let exe = dir.appendingPathComponent("omit_fp_stacks").path
        let plugin = support.appendingPathComponent("omit_fp_plugin.c").path
        let a = dir.appendingPathComponent("libplugin_a.so").path, b = dir.appendingPathComponent("libplugin_b.so").path
        let c = dir.appendingPathComponent("libplugin_c.so").path
        for (args, what) in [(flags + ["-o", exe, support.appendingPathComponent("omit_fp_stacks.c").path, "-lpthread", "-ldl"], "program"),
                             (flags + ["-shared", "-fPIC", "-DPLUGIN=a", "-o", a, plugin], "plugin a"),
                             (flags + ["-shared", "-fPIC", "-DPLUGIN=b", "-o", b, plugin], "plugin b"),
                             (flags + ["-shared", "-fPIC", "-DPLUGIN=c", "-DPADDING=300", "-o", c, plugin], "plugin c")] {
            let r = try runProgram(cc, args)
            guard r.status == 0 else { throw NSError(domain: "build", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(what): \(r.stderr)"]) }
        }
        return [exe, a, b, c]
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
        try profiled(command, rate: rate, environment: environment).stacks
    }

    /// The same, keeping the profile (for go tool pprof) and the program's output.
    private func profiled(_ command: [String], rate: Int?, environment: [String: String] = [:])
        throws -> (stacks: SampledStacks, path: String, stdout: String) {
        let out = scratch.appendingPathComponent("stacks-\(UUID().uuidString).pb.gz").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        var args = ["run", "-o", out]
        if let rate { args += ["--rate", String(rate)] }
        let r = try runProgram(product("memprof"), args + ["--"] + command, environment: environment)
        XCTAssertEqual(r.status, 0, r.stderr)
        return (SampledStacks(try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out))))), out, r.stdout)
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
        let s = try profileStacks(built, rate: 1)
        assertComplete(s)
        assertHas(s, ["level_three", "level_two", "level_one", "main"])
        XCTAssertEqual(s.matching(["level_three", "level_two", "level_one", "main"]).count, s.matching(["level_three"]).count,
                       "every level_three stack is whole")
        assertHas(s, ["thread_work", "start_thread"])
        // Through the kernel's signal frame (__restore_rt) into the interrupted code.
        assertHas(s, ["on_signal", "raise", "signal_trigger", "main"])
        assertHas(s, ["on_alt_signal", "raise", "alt_signal_trigger", "main"])
        assertPluginsNamed(s)
    }

    func testCProgramWithoutFramePointersAtDefaultRate() throws {
        let built = try Self.cProgram.get()
        // 400 rounds of ~70 KiB: about 55 samples at one per 512 KiB.
        let s = try profileStacks(built, rate: nil, environment: ["OMIT_FP_ROUNDS": "400"])
        assertComplete(s)
        assertHas(s, ["level_three", "level_two", "level_one", "main"])
        XCTAssertEqual(s.matching(["level_three", "level_two", "level_one", "main"]).count, s.matching(["level_three"]).count)
    }

    // MARK: dlclose, then another library at the same address

    /// Each plugin's allocation ((8 + i) MiB, i = 1, 2, 3 for a, b, c) is under its own
    /// plugin's frames, exactly, though a, b and c were loaded one after the other at one
    /// address (b with a's very return addresses), and under no other plugin's.
    private func assertPluginsNamed(_ s: SampledStacks, caller: String = "call_plugin", outer: String = "main",
                                    file: StaticString = #filePath, line: UInt = #line) {
        let all = s.stacks.filter { $0.frames.contains { $0.hasPrefix("plugin_") } }
        let described = all.map { "\($0.allocatedBytes) B: " + $0.frames.joined(separator: " <- ") }.joined(separator: "\n")
        for (i, name) in ["a", "b", "c"].enumerated() {
            let mine = all.filter { $0.frames.contains("plugin_\(name)_inner") }
            XCTAssertEqual(mine.count, 1, "one stack through plugin \(name):\n\(described)", file: file, line: line)
            guard let stack = mine.first else { continue }
            XCTAssertEqual(Array(stack.frames.prefix(5)), ["plugin_\(name)_inner", "plugin_\(name)_outer", "plugin_alloc", caller, outer],
                           file: file, line: line)
            let size = Int64(8 + i + 1) << 20
            XCTAssertTrue(stack.allocatedBytes >= size && stack.allocatedBytes < size + 8192,
                          "plugin \(name)'s block is its own \(size) bytes, not another's:\n\(described)", file: file, line: line)
            XCTAssertEqual(stack.allocations, 1, file: file, line: line)
        }
        XCTAssertEqual(all.count, 3, "only the three plugins' allocations have plugin frames:\n\(described)", file: file, line: line)
    }

    /// The program checked that b was loaded at a's address (it exits 3 otherwise); its
    /// output says so too.
    private func assertSameAddress(_ stdout: String, file: StaticString = #filePath, line: UInt = #line) {
        let bases = stdout.split(separator: "\n").filter { $0.hasPrefix("plugin ") }.map { $0.split(separator: " ").last.map(String.init) ?? "" }
        XCTAssertEqual(bases.count, 3, stdout, file: file, line: line)
        XCTAssertEqual(bases.first, bases.dropFirst().first, "plugin b at plugin a's address: \(stdout)", file: file, line: line)
    }

    /// `go tool pprof -traces` reads the profile (overlapping mappings and all) and shows each
    /// plugin's block under its own frames.
    private func assertTracesNamed(_ path: String, caller: String = "call_plugin", file: StaticString = #filePath,
                                   line: UInt = #line) throws {
        let traces = try CLI.pprof(["-traces", "-sample_index=alloc_space", path])
        let blocks = traces.components(separatedBy: "-----------+-------------------------------------------------------")
        for name in ["a", "b", "c"] {
            let mine = blocks.filter { $0.contains("plugin_\(name)_inner") }
            XCTAssertEqual(mine.count, 1, traces, file: file, line: line)
            guard let block = mine.first else { continue }
            let frames = block.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
                .filter { $0.hasPrefix("plugin_") || $0 == caller }
            XCTAssertEqual(frames, ["plugin_\(name)_inner", "plugin_\(name)_outer", "plugin_alloc", caller], block, file: file, line: line)
        }
    }

    private func checkPluginsAtOneAddress(rate: Int?, environment: [String: String] = [:], file: StaticString = #filePath,
                                          line: UInt = #line) throws {
        let built = try Self.cProgram.get()
        var env = environment
        env["OMIT_FP_ROUNDS"] = "3"
        let run = try profiled(built, rate: rate, environment: env)
        assertSameAddress(run.stdout, file: file, line: line)
        assertPluginsNamed(run.stacks, file: file, line: line)
        try assertTracesNamed(run.path, file: file, line: line)
    }

    func testPluginsLoadedAtOneAddressKeepTheirNamesAtRateOne() throws {
        try checkPluginsAtOneAddress(rate: 1)
    }

    func testPluginsLoadedAtOneAddressKeepTheirNamesAtDefaultRate() throws {
        // 9, 10 and 11 MiB blocks: each sampled but with a chance below 1e-7 of missing.
        try checkPluginsAtOneAddress(rate: nil)
    }

    /// The same with SwiftPM's `.dynamic` hook (libMemprofPreload.so, which links the Swift
    /// runtime) preloaded instead of the libc-only library.
    func testPluginsLoadedAtOneAddressWithTheSwiftPMPreloadLibrary() throws {
        let lib = product("libMemprofPreload.so")
        XCTAssertTrue(FileManager.default.fileExists(atPath: lib), "\(lib) is built with the tests")
        try checkPluginsAtOneAddress(rate: 1, environment: ["MEMPROF_PRELOAD_LIB": lib])
        try checkPluginsAtOneAddress(rate: nil, environment: ["MEMPROF_PRELOAD_LIB": lib])
    }

    /// In process: a linked Swift program loads the plugins in turn and writes its own profile
    /// with `HeapProfile.write` (the path of MEMPROF_PROFILE and of the HTTP endpoint).
    func testPluginsLoadedAtOneAddressKeepTheirNamesInProcess() throws {
        let built = try Self.cProgram.get()
        for rate in ["1", "524288"] {
            let out = scratch.appendingPathComponent("plugins-\(UUID().uuidString).pb.gz").path
            addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
            let r = try runProgram(product("memprof-workload-linked"), ["plugins", out] + built.dropFirst(), environment: ["MEMPROF_RATE": rate])
            XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
            assertSameAddress(r.stdout)
            let s = SampledStacks(try Profile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: out)))))
            let caller = "memprof_workload_linked.pluginsRun(_:)"
            assertPluginsNamed(s, caller: caller, outer: "memprof_workload_linked_main")
            try assertTracesNamed(out, caller: caller)
        }
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
