import Foundation

/// Finds the LD_PRELOAD library `memprof run` injects: `MEMPROF_PRELOAD_LIB` if set, else the
/// runtime-free `libmemprof_preload.so` built beside this executable by the
/// BuildPreloadLibrary plugin, else SwiftPM's `libMemprofPreload.so` (links the Swift runtime).
enum PreloadLibraryLocator {
    static func find() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["MEMPROF_PRELOAD_LIB"], !explicit.isEmpty {
            return explicit
        }
        if let bundled = Bundle.module.path(forResource: "libmemprof_preload", ofType: "so") {
            return bundled
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let sibling = exe.deletingLastPathComponent().appendingPathComponent("libMemprofPreload.so").path
        return FileManager.default.fileExists(atPath: sibling) ? sibling : nil
    }
}
