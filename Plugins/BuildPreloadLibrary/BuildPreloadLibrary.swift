import Foundation
import PackagePlugin

/// Builds `libmemprof_preload.so` from the C sources of CMemprofHook with the toolchain's
/// clang, as a resource of the target it is applied to (the `memprof` CLI).
///
/// SwiftPM's own `.dynamic` product (`MemprofPreload`) links the Swift runtime (swiftrt.o
/// needs `swift_addNewDSOImage`), so preloading it into a C or Python program would load
/// libswiftCore and count its start-up allocations. This copy depends on libc only.
@main
struct BuildPreloadLibrary: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let clang = try context.tool(named: "clang")
        let hook = context.package.directoryURL.appending(path: "Sources/CMemprofHook")
        // Every C file and header of the hook, read from its folder: a new file needs no
        // change here, and a changed header rebuilds the library.
        let files = try FileManager.default.contentsOfDirectory(atPath: hook.path).sorted()
            .map { hook.appending(path: $0) }
        let sources = files.filter { $0.pathExtension == "c" }
        let headers = files.filter { ["h", "def"].contains($0.pathExtension) } + [hook.appending(path: "include/memprof_hook.h")]
        let output = context.pluginWorkDirectoryURL.appending(path: "libmemprof_preload.so")
        // MEMPROF_PRELOAD_LIBRARY: the library's .bss is all the hook's (own_ranges.c).
        let common = ["-fPIC", "-O2", "-fno-plt", "-std=gnu11", "-DMEMPROF_PRELOAD_LIBRARY=1",
                      "-I", hook.appending(path: "include").path, "-I", hook.path]
        // The interposers (malloc, free, ...) without a frame pointer: malloc then saves one
        // register around its call into glibc instead of three, five instructions less a call
        // (callgrind, st-churn: +61.2 -> +56.0 instructions a malloc+free pair by default).
        // Walks step out of them by their CFI (x86_64); elsewhere walks follow frame pointers,
        // so there they keep theirs.
        let interposers = hook.appending(path: "interpose.c")
        let interposersObject = context.pluginWorkDirectoryURL.appending(path: "interpose.o")
        #if arch(x86_64)
        let interposerFrames = ["-fomit-frame-pointer"]
        #else
        let interposerFrames = ["-fno-omit-frame-pointer"]
        #endif
        // The rest: leaf functions without a frame (free's slow paths are tail calls); stack
        // walks start from a hook frame that calls on. -fno-plt: glibc's entry points are
        // called through the GOT, not a PLT stub (one jump less a call; the few symbols are
        // bound at load).
        var link = ["-shared"] + common + ["-fno-omit-frame-pointer", "-momit-leaf-frame-pointer", "-o", output.path,
                                           interposersObject.path]
        let others = sources.filter { $0.lastPathComponent != "interpose.c" }
        link += others.map(\.path)
        link += ["-lpthread", "-ldl"]
        let compile = ["-c"] + common + interposerFrames + ["-o", interposersObject.path, interposers.path]
        // One command runs both steps (through clang response files), so that the object
        // file in between is not an output of the build, which SwiftPM would bundle as a
        // resource of the target.
        let compileArguments = context.pluginWorkDirectoryURL.appending(path: "interpose.rsp")
        let linkArguments = context.pluginWorkDirectoryURL.appending(path: "link.rsp")
        try write(responseFile(compile), to: compileArguments)
        try write(responseFile(link), to: linkArguments)
        return [
            .buildCommand(
                displayName: "Building libmemprof_preload.so (no Swift runtime)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", "\"$0\" @\"$1\" && \"$0\" @\"$2\"", clang.url.path, compileArguments.path,
                            linkArguments.path],
                inputFiles: sources + headers + [compileArguments, linkArguments],
                outputFiles: [output]
            )
        ]
    }

    /// Writes a file only when its text changes (a new time on it would rebuild the library).
    private func write(_ text: String, to url: URL) throws {
        if let old = try? String(contentsOf: url, encoding: .utf8), old == text { return }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Arguments as a clang response file: each one quoted, with its quotes and backslashes
    /// escaped.
    private func responseFile(_ arguments: [String]) -> String {
        arguments.map { argument in
            "\"" + argument.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: "\n") + "\n"
    }
}

