extension Profile {
    /// The profile with every sample value multiplied by `factor` and rounded to the nearest
    /// integer (halves away from zero), as pprof's `Scale`. A result beyond the range of
    /// `Int64`, or NaN, becomes `Int64.min`, as Go's `int64()` conversion gives on amd64 (so
    /// `p - p` cancels even for a value of `Int64.min`, as in go tool pprof). Samples whose
    /// values all become zero are dropped (unless `factor` is exactly 1, which returns the
    /// profile unchanged).
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
        goInt64((Double(value) * factor).rounded())
    }
}

/// Go's `int64(float64)` as go tool pprof runs it here (amd64): the value truncated toward
/// zero when it lies in [-2^63, 2^63), else (NaN too) Int64.min, the bit pattern the
/// conversion instruction gives. (pprof's `-base` relies on it: min + min wraps back to 0.)
public func goInt64(_ v: Double) -> Int64 {
    guard v >= -9_223_372_036_854_775_808.0, v < 9_223_372_036_854_775_808.0 else { return .min }
    return Int64(v)
}
