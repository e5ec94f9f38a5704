import Foundation
import Memprof

/// The census as one JSON object: {"enabled":..,"types":[{"name","allocations","live_objects",...}]}.
func typeCensusJSON(_ census: TypeCensus, enabled: Bool) -> String {
    let rows = census.types.map { t in
        "{\"name\":\(quoted(t.name)),\"allocations\":\(t.allocations),\"live_objects\":\(t.liveObjects),\"allocated_bytes\":\(t.allocatedBytes),\"live_bytes\":\(t.liveBytes)}"
    }
    let l = census.losses
    return "{\"enabled\":\(enabled),\"threads\":\(l.threads),\"untyped_allocations\":\(l.untypedAllocations),\"untyped_frees\":\(l.untypedFrees),\"pending\":\(l.pending),\"types\":[\(rows.joined(separator: ","))]}"
}

/// A JSON string literal, escaped by Foundation's encoder.
private func quoted(_ s: String) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed])) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
}
