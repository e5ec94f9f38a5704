import MemprofProfile
import MemprofSymbolication

/// The names reports show for functions: as the profile stores them, readable, or full.
///
/// Profiles memprof writes give Swift functions compact names (`SwiftCompactName`:
/// `demo.Cache.insert(_:for:) [specialized]`) and keep the mangled symbol in `system_name`, so
/// go tool pprof, Pyroscope and Parca show readable names; reports show those names as they
/// are, row for row what go tool pprof shows, and `ReportOptions.fullNames` shows the full
/// signatures demangled from `system_name`.
///
/// Profiles written before (full demangled signatures in `name`) are read as they always were:
/// `ReportOptions.simplifyNames` shortens them with `Demangler.simplified`, and full names
/// are the stored names. A profile counts as compact when every function with a
/// Swift-mangled `system_name` has a name that is mangled or already compact
/// (`SwiftCompactName.compact` is a fixed point on compact names and changes every name that
/// still has a signature). Go's profiles and C names are untouched either way, apart from
/// mangled names, which are demangled (C++ names lose their parameter lists as pprof does).
extension AnalysisProfile {
    /// Whether the profile's Swift functions carry compact names (see above).
    var hasCompactSwiftNames: Bool {
        functions.allSatisfy { f in
            !Demangler.isSwiftMangled(f.systemName) || f.name.isEmpty || Demangler.isSwiftMangled(f.name)
                || SwiftCompactName.compact(f.name) == f.name
        }
    }

    /// The readable form of each function's current name, by function index.
    func readableNames() -> [String] {
        let compact = hasCompactSwiftNames
        return functions.map { f in AnalysisProfile.readableName(f.name, systemName: f.systemName, compactProfile: compact) }
    }

    /// The full form of each function's name, by function index: the signature demangled from
    /// `system_name` for Swift functions of a compact profile, else the name as stored.
    func fullSignatureNames() -> [String] {
        let compact = hasCompactSwiftNames
        return functions.map { f in AnalysisProfile.fullName(f.name, systemName: f.systemName, compactProfile: compact) }
    }

    /// The readable form of one name. `systemName` is the linker name, which tells Swift
    /// names from others; a name that is itself still mangled is demangled first.
    static func readableName(_ name: String, systemName: String, compactProfile: Bool = false) -> String {
        if name.isEmpty { return name }
        if Demangler.isSwiftMangled(name) {
            let demangled = Demangler.demangle(name)
            return compactProfile ? SwiftCompactName.compact(demangled) : Demangler.simplified(demangled, mangledName: name)
        }
        if Demangler.isCxxMangled(name) {
            let demangled = Demangler.demangle(name)
            return demangled == name ? name : withoutCxxParameters(demangled)
        }
        if compactProfile && Demangler.isSwiftMangled(systemName) { return name }
        return Demangler.simplified(name, mangledName: systemName)
    }

    /// The full form of one name (see `fullSignatureNames`).
    static func fullName(_ name: String, systemName: String, compactProfile: Bool) -> String {
        guard compactProfile, !name.isEmpty, Demangler.isSwiftMangled(systemName) else { return name }
        return Demangler.demangle(systemName)
    }

    /// Applies `options.fullNames` or `options.simplifyNames` to every function name, and
    /// keeps both views for reports that offer both (the flame graph). With readable names,
    /// `fullNames` holds the names as stored: two functions whose readable names agree stay
    /// two entries only where their stored names differ, as in go tool pprof.
    mutating func applyNameStyle(_ options: ReportOptions) {
        let views = NameViews(stored: functions.map(\.name), compact: hasCompactSwiftNames)
        nameViews = views
        if options.fullNames {
            let full = views.full(functions)
            for i in functions.indices { functions[i].name = full[i] }
        } else if options.simplifyNames {
            let short = views.short(functions)
            // go tool pprof demangles a C++ name stored as its own system name before it sorts
            // and merges, so such a name ties and merges by its demangled form.
            fullNames = functions.indices.map { i in
                let stored = views.stored[i]
                return Demangler.isCxxMangled(stored) && functions[i].systemName == stored ? short[i] : stored
            }
            for i in functions.indices { functions[i].name = short[i] }
        }
    }

    /// Replaces every function name by its readable form, keeping the stored names in
    /// `fullNames`.
    mutating func simplifySwiftNames() {
        applyNameStyle(ReportOptions(simplifyNames: true))
    }
}

/// The names of a profile's functions as stored, by function index, kept before a report's
/// options replaced them (see `AnalysisProfile.applyNameStyle`), from which both views are
/// made when a report offers both (the flame graph).
struct NameViews {
    var stored: [String]
    /// The profile carries compact Swift names.
    var compact: Bool

    /// The readable view: compact names as stored, older full names simplified.
    func short(_ functions: [Function]) -> [String] {
        functions.indices.map { AnalysisProfile.readableName(stored[$0], systemName: functions[$0].systemName, compactProfile: compact) }
    }

    /// The full view: signatures demangled from `system_name` in a compact profile.
    func full(_ functions: [Function]) -> [String] {
        functions.indices.map { AnalysisProfile.fullName(stored[$0], systemName: functions[$0].systemName, compactProfile: compact) }
    }
}
