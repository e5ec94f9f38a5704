import Foundation
import Memprof
import MemprofProfile
import XCTest

/// Where `swift build` put the products: beside the test bundle.
let productsDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathExtension != "xctest" && url.path != "/" { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent()
}()

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func product(_ name: String) -> String { productsDirectory.appendingPathComponent(name).path }

struct Completed {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program and waits, with a timeout so a hang fails the test instead of CI.
@discardableResult
func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                timeout: TimeInterval = 120) throws -> Completed {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    var outData = Data(), errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    if group.wait(timeout: .now() + timeout) == .timedOut {
        p.terminate()
        throw NSError(domain: "memprof-tests", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path) timed out after \(timeout) s"])
    }
    p.waitUntilExit()
    return Completed(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

let scratch: URL = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memprof-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}()

/// The hook `memprof run` injects, copied to a path as long as the independent counter's:
/// programs copy their environment, so both runs get environments of the same size.
let hookCopy: String = {
    let built = productsDirectory.appendingPathComponent("swift-memprof_memprof.resources/libmemprof_preload.so").path
    let copy = scratch.appendingPathComponent("libA.so").path
    try? FileManager.default.removeItem(atPath: copy)
    try! FileManager.default.copyItem(atPath: built, toPath: copy)
    return copy
}()

/// Builds Support/`name`.c into `directory` twice: alone (as `probe`), and linked with the
/// hook's C sources (as `probe-linked`, the way a program that links the hook gets it). Both
/// see the hook's public header.
func buildHookProbe(_ name: String, in directory: URL) -> (plain: String, linked: String) {
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let clang = "/opt/swift/usr/bin/clang"
    let source = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/\(name).c").path
    let hook = packageRoot.appendingPathComponent("Sources/CMemprofHook")
    let include = hook.appendingPathComponent("include").path
    let hookSources = (try! FileManager.default.contentsOfDirectory(atPath: hook.path))
        .filter { $0.hasSuffix(".c") }.sorted().map { hook.appendingPathComponent($0).path }
    let plain = directory.appendingPathComponent("probe").path
    let linked = directory.appendingPathComponent("probe-linked").path
    let r1 = try? runProgram(clang, ["-O2", "-I", include, "-o", plain, source])
    precondition(r1?.status == 0, "cannot build \(name): \(r1?.stderr ?? "")")
    let r2 = try? runProgram(clang, ["-O2", "-std=gnu11", "-I", include, "-I", hook.path, "-o", linked, source]
                             + hookSources + ["-lpthread", "-ldl"])
    precondition(r2?.status == 0, "cannot build \(name) linked with the hook: \(r2?.stderr ?? "")")
    return (plain, linked)
}

/// The independent LD_PRELOAD counter (Support/independent_counter.c), compiled once.
let independentCounter: String = {
    let lib = scratch.appendingPathComponent("libB.so").path
    let source = packageRoot.appendingPathComponent("Tests/MemprofCLITests/Support/independent_counter.c").path
    let cc = FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") ? "/usr/bin/cc" : "/opt/swift/usr/bin/clang"
    let r = try? runProgram(cc, ["-O2", "-shared", "-fPIC", "-o", lib, source])
    precondition(r?.status == 0, "cannot build the independent counter: \(r?.stderr ?? "")")
    return lib
}()

/// A path as long as the shared state file's that `memprof run` makes.
let sharedStatePathOfTheSameLength = PreloadRun.sharedStateDirectory + "/memprof-state-000000"

/// Counts of a run under the independent counter: (allocations, frees, requested bytes).
func independentCounts(_ program: String, _ arguments: [String]) throws -> (UInt64, UInt64, UInt64) {
    let out = scratch.appendingPathComponent("ind-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    // The same variables, of the same lengths, as a `memprof run` child sees.
    try runProgram(program, arguments, environment: [
        "LD_PRELOAD": independentCounter, "INDEPENDENT_COUNTER_OUT": out,
        "MEMPROF_PRELOAD_LIB": hookCopy, "MEMPROF_SHM": sharedStatePathOfTheSameLength,
    ])
    let fields = try String(contentsOfFile: out, encoding: .utf8).split(separator: " ")
        .map { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines))! }
    return (fields[0], fields[1], fields[2])
}

/// Runs `memprof run --summary-json` and returns the parsed summary and the run.
func memprofRun(_ command: [String]) throws -> ([String: Any], Completed) {
    let json = FileManager.default.temporaryDirectory.appendingPathComponent("sum-\(UUID().uuidString).json").path
    defer { try? FileManager.default.removeItem(atPath: json) }
    let sameLength = scratch.appendingPathComponent("ind-\(UUID().uuidString)").path
    let r = try runProgram(product("memprof"), ["run", "--summary-json", json, "--"] + command,
                           environment: ["MEMPROF_PRELOAD_LIB": hookCopy, "INDEPENDENT_COUNTER_OUT": sameLength])
    let data = try Data(contentsOf: URL(fileURLWithPath: json))
    return (try JSONSerialization.jsonObject(with: data) as! [String: Any], r)
}

/// Sum of the values at `index` over samples whose leaf function's name contains `name`.
func leafTotal(_ p: Profile, _ name: String, index: Int) -> Int64 {
    let functions = Dictionary(uniqueKeysWithValues: p.functions.map { ($0.id, $0.name) })
    let locations = Dictionary(uniqueKeysWithValues: p.locations.map { ($0.id, $0) })
    return p.samples.filter { s in
        guard let leaf = s.locationIDs.first, let line = locations[leaf]?.lines.first else { return false }
        return functions[line.functionID]?.contains(name) == true
    }.reduce(0) { $0 + $1.values[index] }
}

func uint(_ any: Any?) -> UInt64 { (any as? NSNumber)?.uint64Value ?? UInt64.max }
