import Memprof
import Synchronization

/// Which types `/metrics` shows: the top ones by live bytes, at most `limit` different types
/// over the life of the process (Prometheus series are never dropped, so the cardinality stays
/// bounded); a type once shown keeps being reported, with its current figures (0 when gone).
final class TypeCensusMetrics: Sendable {
    static let limit = 20
    private let shown = Mutex<[String]>([])

    /// The rows to publish now: empty while the census is off.
    func rows() -> [(name: String, liveBytes: Int64, liveObjects: Int64)] {
        guard TypeCensus.isEnabled else { return [] }
        let census = TypeCensus.read()
        var byName: [String: TypeCensus.Entry] = [:]
        for t in census.types { byName[t.name] = t }
        return shown.withLock { shown in
            for t in census.top(Self.limit) where shown.count < Self.limit && !shown.contains(t.name) && t.liveBytes > 0 {
                shown.append(t.name)
            }
            return shown.map { name in
                let t = byName[name]
                return (name, max(t?.liveBytes ?? 0, 0), max(t?.liveObjects ?? 0, 0))
            }
        }
    }
}
