import Memprof

extension MemprofRequestHandler {
    /// `/debug/types[?limit=N]`: the type census as JSON, largest live bytes first:
    /// `{"enabled", "types": [{"name", "allocations", "live_objects", "allocated_bytes",
    /// "live_bytes"}], "untyped": {...}}`. With the census off, `enabled` is false and the
    /// list empty (start the program with MEMPROF_TYPES=1 or call `TypeCensus.enable()`).
    func serveTypes(query: QueryString) async -> MemprofResponse {
        let text = query.first("limit").flatMap { $0.isEmpty ? nil : $0 }  // empty: absent, as for the profiles
        let parsed = text.map { Int($0) ?? -1 } ?? Int.max
        guard parsed >= 0 else { return .error(400, "limit must be a number of types (0 or more)") }
        let limit = parsed
        do {
            let body = try await BlockingWork.run { TypeCensusDocument.render(TypeCensus.read(), enabled: TypeCensus.isEnabled, limit: limit) }
            return MemprofResponse(status: 200, headers: [("Content-Type", "application/json"),
                                                          ("X-Content-Type-Options", "nosniff")], body: body)
        } catch {
            return .error(503, "shutting down")
        }
    }
}

/// The JSON of `/debug/types`.
enum TypeCensusDocument {
    static func render(_ census: TypeCensus, enabled: Bool, limit: Int) -> [UInt8] {
        var w = JSONWriter()
        w.object { w in
            w.field("enabled", enabled)
            w.field("type_count", census.types.count)
            w.array("types") { w in
                for t in census.top(limit) {
                    w.object { w in
                        w.field("name", t.name)
                        w.field("allocations", t.allocations)
                        w.field("live_objects", t.liveObjects)
                        w.field("allocated_bytes", t.allocatedBytes)
                        w.field("live_bytes", t.liveBytes)
                    }
                }
            }
            w.object("untyped") { w in
                w.field("allocations", census.losses.untypedAllocations)
                w.field("bytes", census.losses.untypedBytes)
                w.field("frees", census.losses.untypedFrees)
                w.field("pending", census.losses.pending)
            }
        }
        return w.bytes
    }
}
