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

    /// Several source profiles as one, as `go tool pprof a.pb.gz b.pb.gz` reads them: sample
    /// values brought to common units, then merged (values of identical stacks add, durations
    /// add, the time is the earliest). One profile is returned unchanged.
    ///
    /// - Throws: `AnalysisError.incompatibleProfiles` when their sample or period types differ.
    public static func merge(_ sources: [Profile]) throws -> Profile {
        guard sources.count > 1 else {
            guard let only = sources.first else { throw AnalysisError.incompatibleProfiles("no profile") }
            return only
        }
        var profiles = sources
        do {
            try scaleToCommonUnits(&profiles)
            var merged = try Profile.merge(profiles)
            var time: Int64 = 0
            for p in profiles where time == 0 || p.timeNanos < time { time = p.timeNanos }
            merged.timeNanos = time
            return merged
        } catch let error as AnalysisError {
            if case .incompatibleBase(let why) = error { throw AnalysisError.incompatibleProfiles(why) }
            throw error
        } catch let error as ProfileError {
            throw AnalysisError.incompatibleProfiles(error.message)
        }
    }

    /// pprof's `ScaleProfiles` for two profiles.
    static func scaleToCommonUnits(_ a: inout Profile, _ b: inout Profile) throws {
        var both = [a, b]
        try scaleToCommonUnits(&both)
        (a, b) = (both[0], both[1])
    }

    /// pprof's `ScaleProfiles`: each sample value (and the period) is converted to the
    /// smallest of the profiles' units when they are units of the same kind.
    static func scaleToCommonUnits(_ profiles: inout [Profile]) throws {
        guard let first = profiles.first else { return }
        for p in profiles.dropFirst() where p.sampleTypes.count != first.sampleTypes.count {
            throw AnalysisError.incompatibleBase(
                "inconsistent samples type count: \(first.sampleTypes.count) != \(p.sampleTypes.count)")
        }
        var ratios = Array(repeating: [Double](), count: profiles.count)
        for i in first.sampleTypes.indices {
            let units = profiles.map { $0.sampleTypes[i].unit }
            let common = units.dropFirst().reduce(units[0]) { commonUnit($0, $1) ?? $0 }
            for j in profiles.indices {
                let comparable = units[j] != common && commonUnit(units[j], common) != nil
                ratios[j].append(comparable ? Measurement.scale(1, from: units[j], to: common).value : 1)
                if comparable { profiles[j].sampleTypes[i].unit = common }
            }
        }
        let periodUnits = profiles.compactMap { $0.periodType?.unit }
        if let firstUnit = periodUnits.first {
            let common = periodUnits.dropFirst().reduce(firstUnit) { commonUnit($0, $1) ?? $0 }
            for j in profiles.indices {
                guard let unit = profiles[j].periodType?.unit, unit != common, commonUnit(unit, common) != nil else { continue }
                profiles[j].period = goInt64(Measurement.scale(profiles[j].period, from: unit, to: common).value)
                profiles[j].periodType?.unit = common
            }
        }
        for j in profiles.indices { profiles[j] = scaled(profiles[j], ratios[j]) }
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
                s.values[i] = goInt64((Double(s.values[i]) * r).rounded())
                keep = keep || s.values[i] != 0
            }
            // As pprof's ScaleN: only the scaled values decide whether a sample stays.
            return keep ? s : nil
        }
        return p
    }
}
