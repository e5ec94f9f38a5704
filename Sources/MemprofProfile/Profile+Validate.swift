extension Profile {
    /// Checks the rules of profile.proto that readers rely on, as pprof's `CheckValid` does,
    /// and a few more:
    /// - every sample has one value per sample type (and sample types exist if samples do);
    /// - mapping, location and function IDs are non-zero and unique within their table;
    /// - every sample's location IDs, every location's mapping ID (unless 0) and every line's
    ///   function ID resolve;
    /// - numeric label units, when given, are one per value.
    ///
    /// `parse` runs it; call it on profiles you build before encoding them.
    public func validate() throws(ProfileError) {
        if sampleTypes.isEmpty && !samples.isEmpty {
            throw .invalid("profile has \(samples.count) samples but no sample types")
        }
        var mappingIDs = Set<UInt64>(minimumCapacity: mappings.count)
        for m in mappings {
            guard m.id != 0 else { throw .invalid("mapping with reserved ID 0 (file \"\(printable(m.file))\")") }
            guard mappingIDs.insert(m.id).inserted else { throw .invalid("duplicate mapping ID \(m.id)") }
        }
        var functionIDs = Set<UInt64>(minimumCapacity: functions.count)
        for f in functions {
            guard f.id != 0 else { throw .invalid("function with reserved ID 0 (\"\(printable(f.name))\")") }
            guard functionIDs.insert(f.id).inserted else { throw .invalid("duplicate function ID \(f.id)") }
        }
        var locationIDs = Set<UInt64>(minimumCapacity: locations.count)
        for l in locations {
            guard l.id != 0 else { throw .invalid("location with reserved ID 0 (address 0x\(String(l.address, radix: 16)))") }
            guard locationIDs.insert(l.id).inserted else { throw .invalid("duplicate location ID \(l.id)") }
            if l.mappingID != 0 && !mappingIDs.contains(l.mappingID) {
                throw .invalid("location \(l.id) refers to missing mapping \(l.mappingID)")
            }
            for line in l.lines where !functionIDs.contains(line.functionID) {
                if line.functionID == 0 { throw .invalid("location \(l.id) has a line without a function") }
                throw .invalid("location \(l.id) refers to missing function \(line.functionID)")
            }
        }
        for (i, s) in samples.enumerated() {
            guard s.values.count == sampleTypes.count else {
                throw .invalid("sample \(i + 1) has \(s.values.count) values but the profile has \(sampleTypes.count) sample types")
            }
            for id in s.locationIDs where !locationIDs.contains(id) {
                throw .invalid("sample \(i + 1) refers to missing location \(id)")
            }
            for (key, units) in s.numericUnits where !units.isEmpty {
                let count = s.numericLabels[key]?.count ?? 0
                guard units.count == count else {
                    throw .invalid("sample \(i + 1) label \"\(printable(key))\" has \(units.count) units for \(count) values")
                }
            }
        }
    }
}
