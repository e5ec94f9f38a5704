import Foundation
import MemprofAnalysis
import MemprofProfile

/// A loaded profile (already combined with its `--base` or `--diff-base` by
/// `ReportInput.combine`, as pprof does) and the report options in effect: what the report commands and the interactive shell render from.
struct AnalysisSession {
    /// The profile reports are made of.
    var profile: Profile
    /// Sample index, filters and trimming; the shell changes them between commands.
    var options: ReportOptions

    /// Loads the profile (several are merged, as pprof merges them) and base named by the flags.
    init(_ flags: ProfileOptions) throws {
        let profile = try Self.loadSources(flags.profiles, timeout: flags.timeout)
        let base = try flags.base.map { try ProfileLoader.load($0, timeout: flags.timeout) }
        let diffBase = try flags.diffBase.map { try ProfileLoader.load($0, timeout: flags.timeout) }
        self.profile = try ReportInput.combine(profile: profile, base: base, diffBase: diffBase)
        options = flags.reportOptions
    }

    /// One source is read or fails with its error. Of several, as in pprof, those that
    /// cannot be read are named on standard error with how many were, and the rest are
    /// merged; none readable is an error.
    static func loadSources(_ sources: [String], timeout: Double) throws -> Profile {
        guard sources.count > 1 else { return try ProfileLoader.load(sources.first ?? "", timeout: timeout) }
        var loaded: [Profile] = []
        for source in sources {
            do {
                loaded.append(try ProfileLoader.load(source, timeout: timeout))
            } catch {
                Diagnostics.printError(Diagnostics.message(for: error))
            }
        }
        guard !loaded.isEmpty else { throw CLIFailure("failed to fetch any source profiles") }
        if loaded.count < sources.count {
            FileHandle.standardError.write(Data("Fetched \(loaded.count) source profiles out of \(sources.count)\n".utf8))
        }
        return try ReportInput.merge(loaded)
    }

    init(profile: Profile, options: ReportOptions) {
        self.profile = profile
        self.options = options
    }

    /// The text of `report` over this profile with these options. pprof's warnings (a filter
    /// that matched nothing) go to standard error in its words, each once.
    func render(_ report: any Report) throws -> String {
        let printed = WarningsPrinted()
        return try report.render(ReportContext(profile: profile, options: options) { printed.print($0) })
    }
}

/// Warnings already written by one render (a flame graph prepares a report per sample type).
private final class WarningsPrinted: @unchecked Sendable {
    private var seen = Set<String>()

    func print(_ warning: String) {
        guard seen.insert(warning).inserted else { return }
        FileHandle.standardError.write(Data((warning + "\n").utf8))
    }
}
