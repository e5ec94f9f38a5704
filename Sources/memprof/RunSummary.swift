import Memprof
import MemprofProfile
import MemprofSymbolication

/// The summary `memprof run` prints when the program ends, and its JSON form.
struct RunSummary {
    var command: [String]
    var result: PreloadRun.Result
    var profile: Profile? = nil

    var text: String {
        let name = ShellQuoting.line(command)
        var out = "\nmemprof: \(name) (pid \(result.pid)) \(ending), \(String(format: "%.2f", result.seconds)) s\n"
        guard let c = result.counters else {
            return out + "  no counts: the program never reached the hook (static binary, setuid, or no allocation)\n"
        }
        func row(_ label: String, _ value: String) {
            out += "  " + label.padding(toLength: 20, withPad: " ", startingAt: 0) + value + "\n"
        }
        row("allocations", grouped(c.allocations) + "  (calls that returned a new block)")
        row("frees", grouped(c.frees))
        row("requested", bytes(c.requestedBytes))
        row("allocated", bytes(c.allocatedBytes) + "  (usable size)")
        row("peak live", bytes(c.peakLiveBytes))
        row("live at exit", bytes(c.liveBytes) + " in \(grouped(c.liveObjects)) blocks")
        if c.failedAllocations > 0 { row("failed", grouped(c.failedAllocations)) }
        if let dropped = profile.flatMap(Self.droppedSamples) {
            // Never silent: samples the sampler could not record (its tables full).
            row("dropped samples", grouped(UInt64(dropped.objects)) + " blocks, " + Memprof.formatBytes(dropped.bytes)
                + "  (in the profile as [memprof: dropped samples])")
        }
        if let census = result.typeCensus { out += typesText(census) }
        if let profile {
            for (title, index) in [("by bytes allocated (alloc_space, sampled)", 1), ("by bytes live at exit (inuse_space, sampled)", 3)] {
                let sites = TopSites(profile: profile, valueIndex: index).top(5)
                guard !sites.isEmpty else { continue }
                out += "  top sites \(title):\n"
                for site in sites {
                    out += "    " + Memprof.formatBytes(site.value).padding(toLength: 11, withPad: " ", startingAt: 0) + site.name + "\n"
                }
            }
        }
        return out
    }

    var json: String {
        var fields: [(String, String)] = [("command", jsonString(command.joined(separator: " "))), ("pid", "\(result.pid)")]
        switch result.termination {
        case .exited(let code): fields.append(("exit_code", "\(code)"))
        case .signaled(let sig): fields.append(("signal", "\(sig)"))
        }
        fields.append(("seconds", String(format: "%.6f", result.seconds)))
        if let c = result.counters {
            fields += [
                ("allocations", "\(c.allocations)"), ("frees", "\(c.frees)"),
                ("requested_bytes", "\(c.requestedBytes)"), ("allocated_bytes", "\(c.allocatedBytes)"),
                ("freed_bytes", "\(c.freedBytes)"), ("live_bytes", "\(c.liveBytes)"),
                ("live_objects", "\(c.liveObjects)"), ("peak_live_bytes", "\(c.peakLiveBytes)"),
                ("failed_allocations", "\(c.failedAllocations)"),
            ]
        } else {
            fields.append(("error", jsonString("the program never reached the hook")))
        }
        if let census = result.typeCensus { fields += typesJSONFields(census) }
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    private var ending: String {
        switch result.termination {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let sig): return "was killed by signal \(sig)"
        }
    }

    private func bytes(_ n: UInt64) -> String { "\(Memprof.formatBytes(n)) (\(grouped(n)) B)" }
}

func grouped(_ n: UInt64) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return out
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// The leaf functions with the largest values of one sample type (flat, as pprof's top).
extension RunSummary {
    /// The unbiased blocks and bytes under `[memprof: dropped samples]`, if any.
    static func droppedSamples(_ profile: Profile) -> (objects: Int64, bytes: Int64)? {
        guard let function = profile.functions.first(where: { $0.name == "[memprof: dropped samples]" }),
              let location = profile.locations.first(where: { $0.lines.contains { $0.functionID == function.id } })
        else { return nil }
        let samples = profile.samples.filter { $0.locationIDs.first == location.id }
        let objects = samples.reduce(Int64(0)) { $0 + $1.values[0] }, bytes = samples.reduce(Int64(0)) { $0 + $1.values[1] }
        return objects > 0 ? (objects, bytes) : nil
    }
}

struct TopSites {
    var profile: Profile
    var valueIndex: Int

    func top(_ n: Int) -> [(name: String, value: Int64)] {
        var functions: [UInt64: Function] = [:]
        for f in profile.functions { functions[f.id] = f }
        var locations: [UInt64: Location] = [:]
        for l in profile.locations { locations[l.id] = l }
        var files: [UInt64: String] = [:]
        for m in profile.mappings { files[m.id] = m.file }
        var totals: [String: Int64] = [:]
        for sample in profile.samples where valueIndex < sample.values.count {
            let leaf = sample.locationIDs.first.flatMap { locations[$0] }
            // A leaf without a symbol (a stripped library) is named by its file, as pprof does.
            let name = leaf?.lines.first.flatMap { functions[$0.functionID] }
                .map { f in f.name.isEmpty ? f.systemName : f.name }   // compact Swift names, as `memprof top`
                ?? leaf.flatMap { files[$0.mappingID] }.flatMap { $0.isEmpty ? nil : "[\($0.split(separator: "/").last ?? Substring($0))]" }
                ?? "(unknown)"
            totals[name, default: 0] += sample.values[valueIndex]
        }
        return totals.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .prefix(n).map { (name: $0.key, value: $0.value) }
    }
}
