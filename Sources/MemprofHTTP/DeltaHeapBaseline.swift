import MemprofProfile
import Synchronization

/// `/debug/pprof/delta_heap` as Pyroscope's godeltaprof serves it (Grafana Alloy's
/// `profile.godeltaprof_memory` scrapes it): `alloc_*` (and our `temporary_*`) are what was
/// allocated since the previous request of this route, `inuse_*` the heap now. The
/// baseline is the previous profile's cumulative values per sample (its stack addresses and
/// labels); the first request gives everything since the program started.
final class DeltaHeapBaseline: Sendable {
    private struct Key: Hashable {
        var addresses: [UInt64]
        var labels: [String]
    }

    private let previous = Mutex<[Key: [Int64]]>([:])

    /// Indexes of the cumulative types (everything but inuse_*).
    private static func cumulative(_ profile: Profile) -> [Int] {
        profile.sampleTypes.indices.filter { !profile.sampleTypes[$0].type.hasPrefix("inuse_") }
    }

    private static func key(_ sample: Sample, _ addresses: [UInt64: UInt64]) -> Key {
        let labels = sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.joined(separator: ","))" }
            + sample.numericLabels.sorted { $0.key < $1.key }.map { "\($0.key)#\($0.value.map(String.init).joined(separator: ","))" }
        return Key(addresses: sample.locationIDs.map { addresses[$0] ?? $0 }, labels: labels)
    }

    /// `profile` with its cumulative values made deltas against the previous call's, which
    /// it then replaces. Samples left with nothing allocated and nothing in use are dropped.
    func delta(_ profile: Profile) -> Profile {
        let addresses = Dictionary(profile.locations.map { ($0.id, $0.address) }, uniquingKeysWith: { a, _ in a })
        let cumulative = Self.cumulative(profile)
        var now: [Key: [Int64]] = [:]
        for sample in profile.samples {
            let k = Self.key(sample, addresses)
            var sums = now[k] ?? [Int64](repeating: 0, count: sample.values.count)
            for i in sample.values.indices { sums[i] += sample.values[i] }
            now[k] = sums
        }
        let before = previous.withLock { old in
            let kept = old
            old = now
            return kept
        }
        var result = profile
        result.samples = []
        var subtracted = Set<Key>()
        for var sample in profile.samples {
            let k = Self.key(sample, addresses)
            // Samples that share a key (none in our profiles) take the baseline once.
            if let base = before[k], subtracted.insert(k).inserted {
                for i in cumulative where i < base.count { sample.values[i] = max(0, sample.values[i] - base[i]) }
            }
            if sample.values.contains(where: { $0 != 0 }) { result.samples.append(sample) }
        }
        return result
    }
}
