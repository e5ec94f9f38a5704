import Foundation
import MemprofProfile

/// Stacks as module-relative return addresses, leaf first, comparable across runs (and
/// across profilers) whatever the addresses the modules were loaded at: each frame is the
/// module's file name (without its version suffix) and the return address minus the address
/// of the module's lowest loaded byte.
struct FrameKey: Hashable, CustomStringConvertible {
    var module: String
    var offset: UInt64
    var description: String { "\(module)+0x\(String(offset, radix: 16))" }

    init(module path: String, offset: UInt64) {
        var name = (path as NSString).lastPathComponent
        // libz.so.1 and libz.so.1.2.13 are one file.
        if let so = name.range(of: ".so") { name = String(name[..<so.upperBound]) }
        module = name
        self.offset = offset
    }
}

enum FrameKeys {
    /// Our profile's stacks with their allocation counts (alloc_objects); the profiler's own
    /// memory ("[memprof: ...]") left out.
    static func profile(_ p: Profile) -> [(stack: [FrameKey], allocations: Int64)] {
        let mappings = Dictionary(uniqueKeysWithValues: p.mappings.map { ($0.id, $0) })
        let locations = Dictionary(uniqueKeysWithValues: p.locations.map { ($0.id, $0) })
        let names = Dictionary(uniqueKeysWithValues: p.functions.map { ($0.id, $0.name) })
        let objects = p.sampleTypes.firstIndex { $0.type == "alloc_objects" } ?? 0
        return p.samples.compactMap { sample in
            let locs = sample.locationIDs.compactMap { locations[$0] }
            if let first = locs.first?.lines.first, names[first.functionID]?.hasPrefix("[memprof") == true { return nil }
            let stack = locs.map { l -> FrameKey in
                guard let m = mappings[l.mappingID] else { return FrameKey(module: "?", offset: l.address) }
                return FrameKey(module: m.file, offset: l.address &- (m.start &- m.offset))
            }
            return (stack, sample.values[objects])
        }
    }

    /// heaptrack's raw data (`heaptrack -r`, decompressed): every allocation's stack. Its trace
    /// records hold return address - 1; its module records, the load address and the loaded
    /// segments (the first is the lowest). Frames in heaptrack's own library (its dlopen
    /// interposer) are not the program's and are left out.
    static func heaptrackRaw(_ text: String) -> [[FrameKey]] {
        var exe = "?"
        var modules: [(name: String, base: UInt64, segments: [(UInt64, UInt64)])] = []
        var traces: [(frame: FrameKey?, parent: Int)] = [(nil, 0)]
        var stacks: [[FrameKey]] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            guard let kind = f.first else { continue }
            switch kind {
            case "x": exe = f.dropFirst(2).joined(separator: " ")
            case "m" where f.count >= 3:
                if f[2] == "-" { modules = []; continue }
                let values = f.dropFirst(3).compactMap { UInt64($0, radix: 16) }
                guard values.count >= 3 else { continue }
                let segments = stride(from: 1, to: values.count - 1, by: 2).map { (values[$0], values[$0 + 1]) }
                modules.append((f[2] == "x" ? exe : f[2], values[0], segments))
            case "t" where f.count == 3:
                guard let ip = UInt64(f[1], radix: 16), let parent = Int(f[2], radix: 16) else { continue }
                let m = modules.first { m in m.segments.contains { m.base + $0.0 <= ip && ip < m.base + $0.0 + $0.1 } }
                let frame = m.map { FrameKey(module: $0.name, offset: ip + 1 - $0.base - $0.segments[0].0) }
                traces.append((frame, parent))
            case "+" where f.count >= 3:
                guard var t = Int(f[2], radix: 16) else { continue }
                var stack: [FrameKey] = []
                var steps = 0
                while t > 0 && t < traces.count && steps < 1000 {
                    if let frame = traces[t].frame, frame.module != "libheaptrack_preload.so" { stack.append(frame) }
                    t = traces[t].parent
                    steps += 1
                }
                stacks.append(stack)
            default: continue
            }
        }
        return stacks
    }

    /// heaptrack's stacks as our profiles show them: also without the allocator frames
    /// memprof trims from the leaf end (swift_slowAlloc, swift_allocObject, operator new and the
    /// standard library's array allocation above them), which start in libswiftCore or
    /// libstdc++. Any of these forms of a stack counts as the same stack.
    static func trimmedForms(_ stacks: [[FrameKey]]) -> Set<[FrameKey]> {
        var forms = Set<[FrameKey]>()
        for s in stacks {
            forms.insert(s)
            guard let first = s.first, ["libswiftCore.so", "libstdc++.so"].contains(first.module) else { continue }
            for drop in 1..<min(s.count, 9) { forms.insert(Array(s[drop...])) }
        }
        return forms
    }
}
