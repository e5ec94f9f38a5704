import Foundation
import XCTest
@testable import MemprofProfile

/// Paths and bytes of the test fixtures, found beside this file.
enum Fixture {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let goDirectory = testsDirectory.appendingPathComponent("Fixtures/go")
    static let goldenDirectory = testsDirectory.appendingPathComponent("Golden")
    static let profiles = ["heap.pb.gz", "heap-gc1.pb.gz", "allocs.pb.gz"]

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: goDirectory.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: goDirectory.appendingPathComponent(name), encoding: .utf8)
    }

    static func profile(_ name: String) throws -> Profile {
        try Profile.parse(bytes(name))
    }

    /// Compares `actual` with a golden file, or writes it when MEMPROF_RECORD=1.
    static func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["MEMPROF_RECORD"] == "1" {
            try FileManager.default.createDirectory(at: goldenDirectory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("missing golden file \(name); run the tests with MEMPROF_RECORD=1", file: file, line: line)
            return
        }
        XCTAssertEqual(actual, expected, "differs from golden file \(name)", file: file, line: line)
    }
}

/// Runs `go tool pprof` (Go 1.19 here) on bytes written to a temporary file.
enum GoPprof {
    static let go = "/usr/bin/go"

    static func run(_ arguments: [String], input: [UInt8], fileName: String = "profile.pb.gz") throws -> Data {
        try run(arguments, inputs: [(fileName, input)])
    }

    /// Writes each input to a file of the given name and appends the names to the arguments
    /// (`-base` and the like refer to them by name).
    static func run(_ arguments: [String], inputs: [(name: String, bytes: [UInt8])], files: [String]? = nil) throws -> Data {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memprof-profile-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for input in inputs {
            try Data(input.bytes).write(to: dir.appendingPathComponent(input.name))
        }
        let paths = (files ?? inputs.map(\.name)).map { dir.appendingPathComponent($0).path }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: go)
        process.arguments = ["tool", "pprof"] + arguments.map { $0.replacingOccurrences(of: "$DIR", with: dir.path) } + paths
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir.path
        env["GOCACHE"] = dir.appendingPathComponent("gocache").path
        env["TZ"] = "UTC"
        env["PPROF_TMPDIR"] = dir.path
        process.environment = env
        process.currentDirectoryURL = dir
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = "go tool pprof \(arguments) failed: \(String(decoding: stderr, as: UTF8.self))"
            throw NSError(domain: "go tool pprof", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: message])
        }
        return stdout
    }

    static func raw(_ input: [UInt8], fileName: String = "profile.pb.gz") throws -> String {
        String(decoding: try run(["-raw"], input: input, fileName: fileName), as: UTF8.self)
    }
}

/// Renders a profile the way pprof's `Profile.String` (used by `go tool pprof -raw`) does,
/// so a parsed profile can be compared with Go's own reading of the same bytes.
enum GoRawFormat {
    static func render(_ p: Profile) -> String {
        var lines: [String] = p.comments.map { "Comment: " + $0 }
        let pt = p.periodType ?? ValueType(type: "", unit: "")
        lines.append("PeriodType: \(pt.type) \(pt.unit)")
        lines.append("Period: \(p.period)")
        if p.timeNanos != 0 { lines.append("Time: " + goTime(p.timeNanos)) }
        if p.durationNanos != 0 { lines.append("Duration: " + String(goDuration(p.durationNanos).prefix(4))) }
        lines.append("Samples:")
        lines.append(p.sampleTypes.map {
            "\($0.type)/\($0.unit)" + ($0.type == p.defaultSampleType ? "[dflt]" : "")
        }.joined(separator: " "))
        for s in p.samples {
            var line = s.values.map { " " + pad($0, 10) }.joined() + ": "
            line += s.locationIDs.map { "\($0) " }.joined()
            lines.append(line)
            let header = String(repeating: " ", count: 16)
            if !s.labels.isEmpty {
                lines.append(header + s.labels.map { "\($0.key):[\($0.value.joined(separator: " "))]" }
                    .sorted().joined(separator: " "))
            }
            if !s.numericLabels.isEmpty {
                lines.append(header + s.numericLabels.map { key, values -> String in
                    let units = s.numericUnits[key] ?? []
                    if units.count == values.count {
                        return "\(key):[\(zip(values, units).map { "\($0) \($1)" }.joined(separator: " "))]"
                    }
                    return "\(key):[\(values.map(String.init).joined(separator: " "))]"
                }.sorted().joined(separator: " "))
            }
        }
        lines.append("Locations")
        let functions = Dictionary(uniqueKeysWithValues: p.functions.map { ($0.id, $0) })
        for l in p.locations {
            var head = pad(Int64(l.id), 6) + ": 0x" + String(l.address, radix: 16) + " "
            if l.mappingID != 0 { head += "M=\(l.mappingID) " }
            if l.isFolded { head += "[F] " }
            if l.lines.isEmpty { lines.append(head) }
            for line in l.lines {
                var text = "??"
                if let f = functions[line.functionID] {
                    text = "\(f.name) \(f.filename):\(line.line) s=\(f.startLine)"
                    if f.name != f.systemName { text += "(\(f.systemName))" }
                }
                lines.append(head + text)
                head = String(repeating: " ", count: 13)
            }
        }
        lines.append("Mappings")
        for m in p.mappings {
            var bits = ""
            if m.hasFunctions { bits += "[FN]" }
            if m.hasFilenames { bits += "[FL]" }
            if m.hasLineNumbers { bits += "[LN]" }
            if m.hasInlineFrames { bits += "[IN]" }
            let range = "0x\(String(m.start, radix: 16))/0x\(String(m.limit, radix: 16))/0x\(String(m.offset, radix: 16))"
            lines.append("\(m.id): \(range) \(m.file) \(m.buildID) \(bits)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }

    /// Go's `time.Time.String()` in UTC: `2026-11-27 10:02:59.314783457 +0000 UTC`.
    static func goTime(_ nanos: Int64) -> String {
        let seconds = nanos / 1_000_000_000, fraction = nanos % 1_000_000_000
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func two(_ v: Int?) -> String { String(format: "%02d", v ?? 0) }
        var text = "\(c.year!)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second))"
        if fraction != 0 {
            var digits = String(format: "%09lld", fraction)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + " +0000 UTC"
    }

    /// Go's `time.Duration.String()` for durations of a second or more (enough for tests).
    static func goDuration(_ nanos: Int64) -> String {
        if nanos % 1_000_000_000 == 0 { return "\(nanos / 1_000_000_000)s" }
        var s = String(format: "%.9f", Double(nanos) / 1e9)
        while s.hasSuffix("0") { s.removeLast() }
        return s + "s"
    }
}

/// Sums every sample column of `go tool pprof -raw` output.
func rawColumnTotals(_ raw: String) -> [Int64] {
    var totals: [Int64] = []
    var inSamples = false
    for line in raw.split(separator: "\n") {
        if line == "Samples:" { inSamples = true; continue }
        if line == "Locations" { break }
        guard inSamples, let colon = line.firstIndex(of: ":") else { continue }
        let fields = line[..<colon].split(separator: " ")
        let values = fields.compactMap { Int64($0) }
        guard !values.isEmpty, values.count == fields.count else { continue }
        if totals.isEmpty { totals = Array(repeating: 0, count: values.count) }
        for (i, v) in values.enumerated() where i < totals.count { totals[i] += v }
    }
    return totals
}

/// Column sums of a profile's sample values.
func columnTotals(_ p: Profile) -> [Int64] {
    var totals = Array(repeating: Int64(0), count: p.sampleTypes.count)
    for s in p.samples { for (i, v) in s.values.enumerated() { totals[i] += v } }
    return totals
}

/// A small deterministic PRNG (SplitMix64) so randomized tests repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
