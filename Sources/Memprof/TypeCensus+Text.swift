/// The census as text, for the `debug=1` heap profile's trailer and logs.
extension TypeCensus {
    /// Lines in the style of Go's `debug=1` trailer, largest live bytes first (at most `limit`
    /// types): `# types` then `# <live objects> <live bytes> <allocations> <name>`. Empty when
    /// the census is off.
    public func textSection(limit: Int = 50) -> String {
        guard !types.isEmpty || losses.threads > 0 else { return "" }
        var out = "\n# types (live objects, live bytes, allocations, name)\n"
        for t in top(limit) {
            out += "# \(t.liveObjects) \(t.liveBytes) \(t.allocations) \(t.name)\n"
        }
        if types.count > limit { out += "# ... \(types.count - limit) more types\n" }
        if losses.untypedAllocations > 0 {
            out += "# untyped \(losses.untypedAllocations) objects \(losses.untypedBytes) bytes (census tables full)\n"
        }
        return out
    }
}
