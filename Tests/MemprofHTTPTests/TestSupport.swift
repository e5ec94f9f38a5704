import Foundation
import Memprof
import MemprofProfile
@testable import MemprofHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Keeps an 8 MiB block from a function with a known name: at the default rate (512 KiB)
/// it is sampled with probability 1 - e^-16, so every heap profile shows it.
@inline(never)
func httpTestKeepEightMiB() -> UnsafeMutableRawPointer {
    let block = malloc(8 << 20)!
    memset(block, 1, 8 << 20)
    return block
}

/// Same, for the delta test: allocated only inside the delta window.
@inline(never)
func httpTestKeepEightMiBLater() -> UnsafeMutableRawPointer {
    let block = malloc(8 << 20)!
    memset(block, 2, 8 << 20)
    return block
}

/// A function whose address the symbol service must name.
@inline(never)
func httpTestSymbolTarget() -> Int32 { 42 }

extension Profile {
    /// Sum of sample type `type` over samples whose stack has a function containing `name`.
    func total(_ type: String, inFunction name: String) -> Int64 {
        guard let index = sampleTypes.firstIndex(where: { $0.type == type }) else { return 0 }
        let names = Dictionary(uniqueKeysWithValues: functions.map { ($0.id, $0.name) })
        let locationHas = Dictionary(uniqueKeysWithValues: locations.map { location in
            (location.id, location.lines.contains { names[$0.functionID]?.contains(name) == true })
        })
        return samples.filter { $0.locationIDs.contains { locationHas[$0] == true } }.reduce(0) { $0 + $1.values[index] }
    }
}

extension MemprofResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension MemprofRequestHandler {
    func get(_ uri: String, headers: [(name: String, value: String)] = []) async -> MemprofResponse {
        await handle(MemprofRequest(method: "GET", uri: uri, headers: headers))
    }
}

/// Metric samples of a Prometheus text exposition, checking its syntax on the way:
/// `# HELP`/`# TYPE` comments and `name{labels} value` lines.
func parsePrometheus(_ text: String) throws -> (values: [String: Double], types: [String: String]) {
    var values: [String: Double] = [:], types: [String: String] = [:]
    for line in text.split(separator: "\n") {
        if line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            guard parts.count == 4 else { throw RawHTTPError(description: "bad TYPE line: \(line)") }
            types[String(parts[2])] = String(parts[3])
            continue
        }
        if line.hasPrefix("#") { continue }
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            throw RawHTTPError(description: "bad sample line: \(line)")
        }
        let series = String(line[..<space])
        let name = series.prefix { $0 != "{" }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else {
            throw RawHTTPError(description: "bad metric name in: \(line)")
        }
        values[series] = value
    }
    return (values, types)
}

/// Prints a figure so that it shows in the test log, e.g. `[memprof-http] copy: 0.31 ms`.
func report(_ text: String) {
    print("[memprof-http] \(text)")
    fflush(stdout)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
