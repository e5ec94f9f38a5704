import MemprofSymbolication

/// Readable function names (`ReportOptions.simplifyNames`): mangled names demangled, Swift
/// names shortened by `Demangler.simplified`, C++ names stripped of parameter and template
/// lists as pprof does for the C++ names it demangles itself.
extension AnalysisProfile {
    /// The readable form of each function's current name, by function index.
    func readableNames() -> [String] {
        functions.map { f in AnalysisProfile.readableName(f.name, systemName: f.systemName) }
    }

    /// The readable form of one name. `systemName` is the linker name, which tells Swift
    /// names from others; a name that is itself still mangled is demangled first.
    static func readableName(_ name: String, systemName: String) -> String {
        if name.isEmpty { return name }
        if Demangler.isSwiftMangled(name) {
            return Demangler.simplified(Demangler.demangle(name), mangledName: name)
        }
        if Demangler.isCxxMangled(name) {
            let demangled = Demangler.demangle(name)
            return demangled == name ? name : withoutCxxParameters(demangled)
        }
        return Demangler.simplified(name, mangledName: systemName)
    }

    /// Replaces every function name by its readable form, keeping the full names in
    /// `fullNames` for reports that offer both (the flame graph).
    mutating func simplifySwiftNames() {
        let readable = readableNames()
        fullNames = functions.map(\.name)
        for i in functions.indices { functions[i].name = readable[i] }
    }
}
