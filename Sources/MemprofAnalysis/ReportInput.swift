import MemprofProfile

/// Turns the profiles named on a command line into the one profile reports run on.
public enum ReportInput {
    /// The profile to report on when a base is given, as `go tool pprof` builds it:
    ///
    /// - `base` (`-base FILE`): the base's values are negated and merged in, so the report
    ///   shows what changed; stacks whose values cancel disappear.
    /// - `diffBase` (`-diff_base FILE`): the same, but the base's samples are also labelled
    ///   `pprof::base=true`, and reports then take percentages relative to the base's total.
    ///
    /// Sample values in different units of one kind (bytes and kilobytes) are first brought to
    /// the smaller unit. The header follows pprof's merge (durations add; the time is the
    /// earliest, or zero when a later profile has none). With neither base, `profile` is
    /// returned unchanged.
    ///
    /// ```swift
    /// let input = try ReportInput.combine(profile: after, diffBase: before)
    /// print(try TopReport().render(ReportContext(profile: input)), terminator: "")
    /// ```
    ///
    /// - Throws: `AnalysisError.baseAndDiffBase` when both are given,
    ///   `AnalysisError.incompatibleBase` when the sample or period types do not match.
    public static func combine(profile: Profile, base: Profile? = nil, diffBase: Profile? = nil) throws -> Profile {
        if base != nil && diffBase != nil { throw AnalysisError.baseAndDiffBase }
        guard let given = base ?? diffBase else { return profile }
        // pprof merges each side on its own first (as it does for any fetched profile):
        // samples that cancel out within one profile are gone before the two are combined.
        var main: Profile, other: Profile
        do {
            main = try profile.compacted()
            other = try given.compacted()
        } catch {
            throw AnalysisError.incompatibleBase(error.message)
        }
        try scaleToCommonUnits(&main, &other)
        if diffBase != nil {
            for i in other.samples.indices { other.samples[i].labels["pprof::base"] = ["true"] }
        }
        var merged: Profile
        do {
            merged = try Profile.merge([main, other.scaled(by: -1)])
        } catch {
            throw AnalysisError.incompatibleBase(error.message)
        }
        // pprof keeps the earliest time, but a later profile without one clears it.
        var time: Int64 = 0
        for p in [main, other] where time == 0 || p.timeNanos < time { time = p.timeNanos }
        merged.timeNanos = time
        return merged
    }

    /// pprof's `ScaleProfiles` for two profiles: each sample value (and the period) is
    /// converted to the smaller of the two units when they are units of the same kind.
    static func scaleToCommonUnits(_ a: inout Profile, _ b: inout Profile) throws {
        guard a.sampleTypes.count == b.sampleTypes.count else {
            throw AnalysisError.incompatibleBase(
                "inconsistent samples type count: \(a.sampleTypes.count) != \(b.sampleTypes.count)")
        }
        var ratiosA: [Double] = [], ratiosB: [Double] = []
        for i in a.sampleTypes.indices {
            let (ua, ub) = (a.sampleTypes[i].unit, b.sampleTypes[i].unit)
            guard let common = commonUnit(ua, ub) else {
                ratiosA.append(1)
                ratiosB.append(1)
                continue
            }
            ratiosA.append(Measurement.scale(1, from: ua, to: common).value)
            ratiosB.append(Measurement.scale(1, from: ub, to: common).value)
            a.sampleTypes[i].unit = common
            b.sampleTypes[i].unit = common
        }
        if let pa = a.periodType, let pb = b.periodType, let common = commonUnit(pa.unit, pb.unit) {
            a.period = truncate(Measurement.scale(a.period, from: pa.unit, to: common).value)
            b.period = truncate(Measurement.scale(b.period, from: pb.unit, to: common).value)
            a.periodType?.unit = common
            b.periodType?.unit = common
        }
        a = scaled(a, ratiosA)
        b = scaled(b, ratiosB)
    }

    /// The smaller of two different units of the same kind, or nil when they are equal or
    /// not comparable.
    private static func commonUnit(_ a: String, _ b: String) -> String? {
        guard a != b, Measurement.families.contains(where: { $0.find(a) != nil && $0.find(b) != nil }) else {
            return nil
        }
        return Measurement.scale(1, from: b, to: a).value < 1 ? b : a
    }

    private static func scaled(_ p: Profile, _ ratios: [Double]) -> Profile {
        guard ratios.contains(where: { $0 != 1 }) else { return p }
        var p = p
        p.samples = p.samples.compactMap { s in
            var s = s
            var keep = false
            for (i, r) in ratios.enumerated() where r != 1 && i < s.values.count {
                s.values[i] = truncate((Double(s.values[i]) * r).rounded())
                keep = keep || s.values[i] != 0
            }
            // As pprof's ScaleN: only the scaled values decide whether a sample stays.
            return keep ? s : nil
        }
        return p
    }
}
