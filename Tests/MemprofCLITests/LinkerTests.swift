import Foundation
import XCTest

/// The hook interposes every symbol whichever linker builds the executable: gold (the
/// default here) and lld. Each program links the hook's C objects, allocates through
/// libswiftCore (which reaches malloc through the PLT) and reports which hooked symbols
/// resolve elsewhere for shared libraries, and what was counted. (An older lld was seen not
/// to export calloc, realloc and posix_memalign from executables; this toolchain's does.)
final class LinkerTests: XCTestCase {
    private let clang = "/opt/swift/usr/bin/clang"
    private let swiftc = "/opt/swift/usr/bin/swiftc"

    private let program = """
        import Glibc
        typealias Bypassed = @convention(c) (UnsafeMutablePointer<CChar>?, Int) -> Int
        typealias Read = @convention(c) (UnsafeMutableRawPointer) -> Void
        func symbol<T>(_ name: String, _ type: T.Type) -> T {
            unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)!, to: type)
        }
        var names = [CChar](repeating: 0, count: 256)
        let bypassed = symbol("memprof_bypassed_symbols", Bypassed.self)(&names, 256)
        var counters = [UInt64](repeating: 0, count: 16)
        let read = symbol("memprof_read_counters", Read.self)
        read(&counters)
        let before = counters[0]
        final class Aligned { var x: SIMD64<Float> = .zero }
        var kept: [Aligned] = []
        for _ in 0..<100 { kept.append(Aligned()) }
        read(&counters)
        print("bypassed=\\(bypassed) names=\\(String(cString: names)) allocations=\\(counters[0] - before) kept=\\(kept.count)")
        """

    func testGoldAndLLDBothInterposeEverything() throws {
        let dir = scratch.appendingPathComponent("linkers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let hook = packageRoot.appendingPathComponent("Sources/CMemprofHook")
        var objects: [String] = []
        for source in try FileManager.default.contentsOfDirectory(atPath: hook.path) where source.hasSuffix(".c") {
            let object = dir.appendingPathComponent(source + ".o").path
            let r = try runProgram(clang, ["-O2", "-c", "-I", hook.appendingPathComponent("include").path, "-I", hook.path,
                                           hook.appendingPathComponent(source).path, "-o", object])
            XCTAssertEqual(r.status, 0, r.stderr)
            objects.append(object)
        }
        let main = dir.appendingPathComponent("main.swift").path
        try program.write(toFile: main, atomically: true, encoding: .utf8)
        let exports = ["memprof_bypassed_symbols", "memprof_read_counters"].flatMap { ["-Xlinker", "--export-dynamic-symbol=\($0)"] }
        for linker in ["gold", "lld"] {
            let exe = dir.appendingPathComponent("prog-\(linker)").path
            let build = try runProgram(swiftc, ["-use-ld=\(linker)", main] + objects + exports + ["-o", exe])
            XCTAssertEqual(build.status, 0, "\(linker): \(build.stderr)")
            let run = try runProgram(exe, [])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("bypassed=0 "), "\(linker): \(run.stdout)")
            // 100 objects, plus the array's storage as it grows and the class's metadata.
            let allocations = run.stdout.split(separator: " ").first { $0.hasPrefix("allocations=") }
                .flatMap { Int($0.dropFirst("allocations=".count)) } ?? 0
            XCTAssertGreaterThanOrEqual(allocations, 100, "\(linker): \(run.stdout)")
            XCTAssertLessThan(allocations, 160, "\(linker): \(run.stdout)")
        }
    }
}
