#if canImport(Glibc)
import Glibc
#endif

/// Called once by a constructor of the C hook when this module is linked in (before
/// `main`): applies the MEMPROF_PROFILE* variables. Not API.
@_cdecl("memprof_swift_startup")
public func _memprofSwiftStartup() {
    guard Startup.once() else { return }
    // Nothing to do (the usual case): allocate nothing, so linking changes no count.
    let names = ["MEMPROF_PROFILE", "MEMPROF_PROFILE_SIGNAL", "MEMPROF_PROFILE_THRESHOLD", "MEMPROF_PEAK_PROFILE"]
    guard names.contains(where: { getenv($0) != nil }) else { return }
    var environment: [String: String] = [:]
    for name in names {
        if let value = getenv(name) { environment[name] = String(cString: value) }
    }
    let configuration = ProfileDumps.Configuration(environment: environment)
    if configuration != ProfileDumps.Configuration(environment: [:]) { ProfileDumps.start(configuration) }
}

enum Startup {
    nonisolated(unsafe) private static var done: Int32 = 0
    /// True the first time only (the hook may be both linked in and preloaded).
    static func once() -> Bool {
        withUnsafeMutablePointer(to: &done) { p in
            // A plain exchange is enough: constructors run on one thread.
            if p.pointee != 0 { return false }
            p.pointee = 1
            return true
        }
    }
}
