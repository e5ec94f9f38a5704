import Memprof

/// The census as one JSON object: {"enabled":..,"types":[{"name","allocations","live_objects",...}]}.
func typeCensusJSON(_ census: TypeCensus, enabled: Bool) -> String {
    let rows = census.types.map { t in
        "{\"name\":\(quoted(t.name)),\"allocations\":\(t.allocations),\"live_objects\":\(t.liveObjects),\"allocated_bytes\":\(t.allocatedBytes),\"live_bytes\":\(t.liveBytes)}"
    }
    let l = census.losses
    return "{\"enabled\":\(enabled),\"threads\":\(l.threads),\"untyped_allocations\":\(l.untypedAllocations),\"untyped_frees\":\(l.untypedFrees),\"pending\":\(l.pending),\"types\":[\(rows.joined(separator: ","))]}"
}

private func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where u.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
