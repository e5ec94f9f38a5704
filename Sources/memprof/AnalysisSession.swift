import MemprofAnalysis
import MemprofProfile

/// A loaded profile (already combined with its `--base` or `--diff-base` by
/// `ReportInput.combine`, as pprof does) and the report options in effect: what the report commands and the interactive shell render from.
struct AnalysisSession {
    /// The profile reports are made of.
    var profile: Profile
    /// Sample index, filters and trimming; the shell changes them between commands.
    var options: ReportOptions

    /// Loads the profile and base named by the flags.
    init(_ flags: ProfileOptions) throws {
        let profile = try ProfileLoader.load(flags.profile, timeout: flags.timeout)
        let base = try flags.base.map { try ProfileLoader.load($0, timeout: flags.timeout) }
        let diffBase = try flags.diffBase.map { try ProfileLoader.load($0, timeout: flags.timeout) }
        self.profile = try ReportInput.combine(profile: profile, base: base, diffBase: diffBase)
        options = flags.reportOptions
    }

    init(profile: Profile, options: ReportOptions) {
        self.profile = profile
        self.options = options
    }

    /// The text of `report` over this profile with these options.
    func render(_ report: any Report) throws -> String {
        try report.render(ReportContext(profile: profile, options: options))
    }
}
