extension Profile {
    /// The profile with every sample value multiplied by `factor` and rounded to the nearest
    /// integer (halves away from zero), as pprof's `Scale`. Results beyond the range of
    /// `Int64` saturate; a NaN factor gives zeros. Samples whose values all become zero are
    /// dropped (unless `factor` is exactly 1, which returns the profile unchanged).
    public func scaled(by factor: Double) -> Profile {
        guard factor != 1 else { return self }
        var p = self
        p.samples = samples.compactMap { sample in
            var s = sample
            s.values = sample.values.map { Profile.scale($0, by: factor) }
            return s.values.allSatisfy { $0 == 0 } ? nil : s
        }
        return p
    }

    /// The difference `self - base` with the semantics of `go tool pprof -base`: the base is
    /// scaled by -1 and merged in, so equal stacks cancel and samples that net to zero are
    /// dropped. Both profiles must have the same sample types.
    public func subtracting(_ base: Profile) throws(ProfileError) -> Profile {
        try Profile.merge([self, base.scaled(by: -1)])
    }

    static func scale(_ value: Int64, by factor: Double) -> Int64 {
        let x = (Double(value) * factor).rounded()
        if x.isNaN { return 0 }
        if x >= 9.223372036854775807e18 { return .max }
        if x <= -9.223372036854775808e18 { return .min }
        return Int64(x)
    }
}
