import Memprof

/// The type census in `memprof run --types`'s summary and its JSON.
extension RunSummary {
    /// Types shown in the text summary.
    static let typesShown = 10

    func typesText(_ census: TypeCensus) -> String {
        var out = "  top types by live bytes (exact, \(grouped(UInt64(census.types.count))) types):\n"
        out += "    " + "live".padding(toLength: 11, withPad: " ", startingAt: 0)
            + "objects".padding(toLength: 11, withPad: " ", startingAt: 0)
            + "allocated".padding(toLength: 11, withPad: " ", startingAt: 0) + "type\n"
        for t in census.top(Self.typesShown) {
            out += "    " + Memprof.formatBytes(t.liveBytes).padding(toLength: 11, withPad: " ", startingAt: 0)
                + grouped(UInt64(max(t.liveObjects, 0))).padding(toLength: 11, withPad: " ", startingAt: 0)
                + grouped(t.allocations).padding(toLength: 11, withPad: " ", startingAt: 0) + t.name + "\n"
        }
        if census.types.isEmpty { out += "    (no Swift object: not a Swift program, or the Swift runtime is linked statically)\n" }
        let l = census.losses
        if l.untypedAllocations > 0 || l.untypedFrees > 0 {
            out += "    untyped: \(grouped(l.untypedAllocations)) objects made, \(Memprof.formatBytes(l.untypedBytes)) (threads beyond the census's tables; not in the types above)\n"
        }
        return out
    }

    func typesJSONFields(_ census: TypeCensus) -> [(String, String)] {
        let rows = census.types.map { t in
            "{\"name\": \(jsonString(t.name)), \"allocations\": \(t.allocations), \"live_objects\": \(t.liveObjects), "
                + "\"allocated_bytes\": \(t.allocatedBytes), \"live_bytes\": \(t.liveBytes)}"
        }
        let l = census.losses
        return [
            ("types", "[" + rows.map { "\n    " + $0 }.joined(separator: ",") + (rows.isEmpty ? "]" : "\n  ]")),
            ("types_untyped", "{\"allocations\": \(l.untypedAllocations), \"bytes\": \(l.untypedBytes), \"frees\": \(l.untypedFrees), \"freed_bytes\": \(l.untypedFreedBytes)}"),
        ]
    }
}
