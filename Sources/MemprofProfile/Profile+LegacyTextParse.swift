extension Profile {
    /// Reads the legacy text `bytes` hold (decompressed), heap, count or contention, or nil
    /// when they start like none of them.
    static func parseLegacyText(_ bytes: [UInt8]) throws(ProfileError) -> Profile? {
        var lines = LegacyLines(bytes)
        guard let first = lines.next() else { return nil }
        if LegacyHeapHeader(first) != nil { return try parseLegacyHeapText(bytes) }
        if LegacyContentionRecord.isHeader(first) { return try parseLegacyContentionText(bytes) }
        var line: [UInt8]? = first
        while let l = line, l.trimmingASCIIWhitespace.isEmpty || l.trimmingASCIIWhitespace.first == UInt8(ascii: "#") {
            line = lines.next()
        }
        if let line, LegacyCountRecord.profileType(line) != nil { return try parseLegacyCountText(bytes) }
        return nil
    }
}
