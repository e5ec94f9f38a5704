extension Profile {
    /// The index into `sampleTypes` (and every sample's `values`) that `go tool pprof
    /// -sample_index=name` would use.
    ///
    /// - nil or empty: the `defaultSampleType` if the profile names one that exists, else the
    ///   last sample type;
    /// - a decimal number: that index, if in range;
    /// - a type name, such as `alloc_space`; `inuse_space` also finds a type named `space`
    ///   (legacy heap profiles).
    public func sampleIndex(named name: String? = nil) throws(ProfileError) -> Int {
        guard !sampleTypes.isEmpty else { throw .invalid("profile has no sample types") }
        guard let name, !name.isEmpty else {
            if !defaultSampleType.isEmpty,
               let i = sampleTypes.firstIndex(where: { $0.type == defaultSampleType }) {
                return i
            }
            return sampleTypes.count - 1
        }
        if let i = Int(name) {
            guard i >= 0 && i < sampleTypes.count else {
                throw .invalid("sample index \(i) is outside the range [0..\(sampleTypes.count - 1)]")
            }
            return i
        }
        let withoutInuse = name.hasPrefix("inuse_") ? String(name.dropFirst(6)) : name
        if let i = sampleTypes.firstIndex(where: { $0.type == name || $0.type == withoutInuse }) {
            return i
        }
        let names = sampleTypes.map { printable($0.type) }.joined(separator: " ")
        throw .invalid("sample index \"\(printable(name))\" must be one of: [\(names)]")
    }
}
