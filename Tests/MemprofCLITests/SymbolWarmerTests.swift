import Foundation
@testable import Memprof
import MemprofProfile
import XCTest

/// `memprof run` resolves the child's sampled addresses while it runs (SymbolWarmer), so its
/// profile is ready sooner at exit. The profile must be the one a cold symbolizer makes.
final class SymbolWarmerTests: XCTestCase {
    /// Each sample as text: its values and its frames (function, file, line), sorted.
    private func rendered(_ profile: Profile) -> [String] {
        let functions = Dictionary(uniqueKeysWithValues: profile.functions.map { ($0.id, $0) })
        let locations = Dictionary(uniqueKeysWithValues: profile.locations.map { ($0.id, $0) })
        return profile.samples.map { sample in
            let frames = sample.locationIDs.flatMap { id in
                (locations[id]?.lines ?? []).map { line -> String in
                    let f = functions[line.functionID]
                    return "\(f?.name ?? "?") \(f?.filename ?? ""):\(line.line)"
                }
            }
            return "\(sample.values) \(frames.joined(separator: " <- "))"
        }.sorted()
    }

    func testWarmSymbolizerGivesTheColdProfile() throws {
        var run = PreloadRun(arguments: [product("memprof-workload"), "st-churn", "2000000"], preloadLibrary: hookCopy,
                             environment: ["MEMPROF_RATE": "65536"])
        run.symbolizesWhileRunning = true
        // At normal priority: beside other busy processes an idle-class warmer may get no CPU
        // before the program ends. A run that still made no pass (a very loaded machine) is
        // repeated.
        run.warmerIsIdleClass = false
        var result = try run.run()
        for _ in 0..<2 where result.warmSymbolizer == nil { result = try run.run() }
        XCTAssertEqual(result.termination, .exited(0))
        XCTAssertGreaterThan(result.seconds, 0.05, "the run must outlast the first warming pass")
        XCTAssertNotNil(result.warmSymbolizer, "no warming pass was made in 3 runs, or the modules changed")
        var cold = result
        cold.warmSymbolizer = nil
        let warmProfile = try XCTUnwrap(result.heapProfile())
        let coldProfile = try XCTUnwrap(cold.heapProfile())
        let warm = rendered(warmProfile), expected = rendered(coldProfile)
        XCTAssertGreaterThan(expected.count, 10)
        XCTAssertTrue(expected.contains { $0.contains("threadedChurn") }, expected.prefix(3).joined(separator: "\n"))
        XCTAssertEqual(warm, expected)
    }

    func testNoWarmingWhenSwitchedOff() throws {
        var run = PreloadRun(arguments: [product("memprof-workload"), "st-churn", "100000"], preloadLibrary: hookCopy,
                             environment: ["MEMPROF_RATE": "65536"])
        run.symbolizesWhileRunning = false
        let result = try run.run()
        XCTAssertNil(result.warmSymbolizer)
        XCTAssertNotNil(result.heapProfile())
    }
}
